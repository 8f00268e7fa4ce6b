//! A small SVG chart of per-topic values, one bar per profile and topic, drawn by hand (no
//! plotting dependency; the planner page shows the same file).

use kpimatch_engine::eval::{Measure, Report};

const COLOURS: [&str; 6] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Grouped bars of `measure` per topic for each profile, with a legend.
pub fn per_topic_chart(reports: &[(&str, &Report)], measure: Measure) -> String {
    let topics: Vec<&String> = reports
        .first()
        .map(|(_, r)| r.per_topic.keys().collect())
        .unwrap_or_default();
    let group = 6.0 + 8.0 * reports.len() as f64;
    let (left, top, height) = (40.0, 30.0, 200.0);
    let width = left + group * topics.len() as f64 + 20.0;
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0} {h:.0}" role="img" aria-label="{m} per topic"><style>text{{font:10px sans-serif}}</style>"#,
        w = width,
        h = top + height + 60.0,
        m = escape(&measure.name())
    );
    s.push_str(&format!(
        r#"<text x="{left}" y="14">{} per topic</text>"#,
        escape(&measure.name())
    ));
    for tick in [0.0, 0.5, 1.0] {
        let y = top + height * (1.0 - tick);
        s.push_str(&format!(r##"<line x1="{left}" x2="{:.0}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="4" y="{:.1}">{tick:.1}</text>"##, width - 10.0, y + 3.0));
    }
    for (ti, t) in topics.iter().enumerate() {
        let x0 = left + group * ti as f64;
        for (pi, (_, r)) in reports.iter().enumerate() {
            let v = r.topic_value(t, measure).unwrap_or(0.0).clamp(0.0, 1.0);
            let h = height * v;
            s.push_str(&format!(
                r#"<rect x="{:.1}" y="{:.1}" width="7" height="{h:.1}" fill="{}"><title>{} {}: {v:.4}</title></rect>"#,
                x0 + 3.0 + 8.0 * pi as f64,
                top + height - h,
                COLOURS[pi % COLOURS.len()],
                escape(t),
                escape(reports[pi].0)
            ));
        }
        s.push_str(&format!(
            r#"<text x="{:.1}" y="{:.1}" transform="rotate(60 {:.1} {:.1})">{}</text>"#,
            x0 + 3.0,
            top + height + 10.0,
            x0 + 3.0,
            top + height + 10.0,
            escape(t)
        ));
    }
    for (pi, (name, _)) in reports.iter().enumerate() {
        let x = left + 120.0 * pi as f64;
        s.push_str(&format!(
            r#"<rect x="{x:.0}" y="{:.0}" width="10" height="10" fill="{}"/><text x="{:.0}" y="{:.0}">{}</text>"#,
            top + height + 42.0,
            COLOURS[pi % COLOURS.len()],
            x + 14.0,
            top + height + 51.0,
            escape(name)
        ));
    }
    s.push_str("</svg>\n");
    s
}
