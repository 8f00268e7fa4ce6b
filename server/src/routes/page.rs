//! The planner's page: `GET /` and `GET /assets/{file}`, served from the binary.
//!
//! The page is plain HTML, CSS and ES modules (no build step) embedded with `include_str!`, so
//! the service works offline and a deployment is one file. It talks only to the public `/v1`
//! API. Every response carries a strict Content-Security-Policy (nothing from another origin,
//! no inline script or style) and a content-hash ETag; clients revalidate (`no-cache`) and get
//! `304 Not Modified` while the binary is unchanged. These routes are not part of the API, so
//! they are registered with plain actix and stay out of the OpenAPI document.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::ApiError;

/// The page's Content-Security-Policy: same origin only; blob images for the benchmark chart.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' blob:; connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    etag: &'static str,
}

/// FNV-1a, 64 bits: a content hash computable at compile time (ETags only; not cryptographic).
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

/// `"` + 16 hex digits + `"`, built at compile time.
const fn etag_of(bytes: &[u8]) -> [u8; 18] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let hash = fnv1a(bytes);
    let mut out = [b'"'; 18];
    let mut i = 0;
    while i < 16 {
        out[1 + i] = HEX[((hash >> (60 - 4 * i)) & 0xf) as usize];
        i += 1;
    }
    out
}

macro_rules! asset {
    ($name:literal, $content_type:expr) => {{
        const BODY: &[u8] = include_bytes!(concat!("../../assets/", $name));
        const TAG: [u8; 18] = etag_of(BODY);
        Asset {
            name: $name,
            content_type: $content_type,
            body: BODY,
            etag: match std::str::from_utf8(&TAG) {
                Ok(s) => s,
                Err(_) => panic!("an ETag is ASCII"),
            },
        }
    }};
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file of the page. A new panel is one more module here and one line in `app.js`.
static ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("icon.svg", "image/svg+xml"),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("dom.js", JS),
    asset!("charts.js", JS),
    asset!("kpivalues.js", JS),
    asset!("settings.js", JS),
    asset!("explain.js", JS),
    asset!("sdgs.js", JS),
    asset!("panel-city.js", JS),
    asset!("panel-ask.js", JS),
    asset!("panel-benchmark.js", JS),
    asset!("panel-peers.js", JS),
    asset!("panel-portfolio.js", JS),
    asset!("panel-provider.js", JS),
];

fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// Whether `If-None-Match` names the current tag (a list, weak tags and `*` included).
fn not_modified(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t.trim_start_matches("W/") == etag)
}

fn serve(req: &HttpRequest, asset: &'static Asset) -> HttpResponse {
    let mut res = if not_modified(req, asset.etag) {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, asset.content_type))
            .body(asset.body)
    };
    let headers = res.headers_mut();
    headers.insert(header::ETAG, HeaderValue::from_static(asset.etag));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}

/// `GET /`: the page.
async fn index(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let asset = find("index.html").ok_or_else(|| ApiError::not_found("asset", "index.html"))?;
    Ok(serve(&req, asset))
}

/// `GET /assets/{file}`: a stylesheet, module or icon of the page.
async fn asset(req: HttpRequest, file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    // index.html is only served at `/`, so relative URLs resolve one way.
    let asset = find(&file)
        .filter(|a| a.name != "index.html")
        .ok_or_else(|| ApiError::not_found("asset", &file))?;
    Ok(serve(&req, asset))
}

/// Registers `/` and `/assets/{file}` (GET and HEAD).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
        .route("/", web::head().to(index))
        .route("/assets/{file}", web::get().to(asset))
        .route("/assets/{file}", web::head().to(asset));
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::{call_service, init_service, TestRequest};
    use actix_web::App;

    #[test]
    fn etags_are_distinct_content_hashes() {
        let mut tags: Vec<&str> = ASSETS.iter().map(|a| a.etag).collect();
        tags.sort();
        tags.dedup();
        assert_eq!(tags.len(), ASSETS.len(), "two assets share an ETag");
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(&etag_of(b"a"), b"\"af63dc4c8601ec8c\"");
    }

    #[test]
    fn every_module_the_page_imports_is_embedded() {
        for a in ASSETS
            .iter()
            .filter(|a| a.name.ends_with(".js") || a.name.ends_with(".html"))
        {
            let text = std::str::from_utf8(a.body).unwrap();
            let refs = text.match_indices("./").map(|(i, _)| i + 2);
            let absolute = text.match_indices("/assets/").map(|(i, _)| i + 8);
            for i in refs.chain(absolute) {
                let rest = &text[i..];
                let end = rest.find(['\'', '"']).unwrap_or(0);
                let name = &rest[..end];
                if name.ends_with(".js") || name.ends_with(".css") || name.ends_with(".svg") {
                    assert!(
                        find(name).is_some(),
                        "{} refers to {name}, which is not embedded",
                        a.name
                    );
                }
            }
            let text = text.replace("http://www.w3.org/2000/svg", "");
            assert!(
                !text.contains("http://") && !text.contains("https://") && !text.contains("//cdn"),
                "{} names another origin",
                a.name
            );
        }
    }

    #[actix_web::test]
    async fn serves_the_page_with_csp_and_revalidates() {
        let app = init_service(App::new().configure(configure)).await;
        let res = call_service(&app, TestRequest::get().uri("/").to_request()).await;
        assert_eq!(res.status(), 200);
        let h = res.headers();
        assert_eq!(h.get(header::CONTENT_TYPE).unwrap(), "text/html; charset=utf-8");
        assert_eq!(h.get(header::CONTENT_SECURITY_POLICY).unwrap(), CONTENT_SECURITY_POLICY);
        let etag = h.get(header::ETAG).unwrap().clone();
        let again = TestRequest::get()
            .uri("/")
            .insert_header((header::IF_NONE_MATCH, etag.clone()))
            .to_request();
        let res = call_service(&app, again).await;
        assert_eq!(res.status(), 304);
        assert_eq!(res.headers().get(header::ETAG).unwrap(), &etag);

        let res = call_service(&app, TestRequest::get().uri("/assets/app.js").to_request()).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers().get(header::CONTENT_TYPE).unwrap(), JS);
        let stale = TestRequest::get()
            .uri("/assets/app.js")
            .insert_header((header::IF_NONE_MATCH, "\"0000000000000000\""))
            .to_request();
        assert_eq!(call_service(&app, stale).await.status(), 200);
        let head = TestRequest::default()
            .method(actix_web::http::Method::HEAD)
            .uri("/assets/style.css")
            .to_request();
        let res = call_service(&app, head).await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers().get(header::CONTENT_TYPE).unwrap(),
            "text/css; charset=utf-8"
        );
        let res = call_service(&app, TestRequest::get().uri("/assets/nope.js").to_request()).await;
        assert_eq!(res.status(), 404);
        let res = call_service(&app, TestRequest::get().uri("/assets/index.html").to_request()).await;
        assert_eq!(res.status(), 404);
    }
}
