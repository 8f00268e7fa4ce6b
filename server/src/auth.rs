//! Access control: API keys with two scopes, and a rate limit per key.
//!
//! - **admin** keys may do everything: all writes (solutions, cities, feedback) and key
//!   management (`/v1/keys`).
//! - **read** keys may read: the catalogue, solutions, cities and gaps, matching and search,
//!   evaluations.
//! - `/healthz`, `/readyz`, `/metrics`, the docs, the spec and the planner's page are public.
//!
//! Keys come from the settings (`--admin-key`, `--read-keys`) or are created through
//! `POST /v1/keys` (stored in the database, so every replica knows them). Only a SHA-256 hash of
//! each secret is kept — keys are 256-bit random tokens, so a fast hash is the right tool (a
//! slow password hash protects guessable secrets, which these are not) — and the presented key's
//! hash is compared with every known hash in constant time. Revoked keys answer 403.
//!
//! With no key configured the server runs in development mode: every request is allowed, the
//! start is logged as a warning, and it refuses to bind anything but loopback.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::RwLock;

use actix_web::http::Method;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, Code};
use crate::storage::{Store, StoreError, StoredKey};

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Reads, matching, evaluation.
    Read,
    /// Everything.
    Admin,
}

impl Scope {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Admin => "admin",
        }
    }

    /// Parses a stored or requested name.
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "read" => Some(Scope::Read),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }
}

/// The scope a request needs; `None` for public routes.
pub fn required_scope(method: &Method, path: &str) -> Option<Scope> {
    if !path.starts_with("/v1/") {
        return None;
    }
    if path == "/v1/keys" || path.starts_with("/v1/keys/") {
        return Some(Scope::Admin);
    }
    let reads = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
        || (*method == Method::POST && matches!(path, "/v1/match" | "/v1/evaluations" | "/v1/portfolio"));
    Some(if reads { Scope::Read } else { Scope::Admin })
}

#[derive(Debug, Clone)]
struct KeyEntry {
    id: String,
    scope: Scope,
    hash: [u8; 32],
    revoked: bool,
}

/// Who made a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The key's id (`dev` in development mode).
    pub key_id: String,
    /// Its scope.
    pub scope: Scope,
}

/// The known keys and the per-key rate limiter.
pub struct Auth {
    dev_mode: bool,
    configured: Vec<KeyEntry>,
    stored: RwLock<Vec<KeyEntry>>,
    limiter: Option<DefaultKeyedRateLimiter<String>>,
}

/// SHA-256 of a secret, domain-separated.
pub fn hash_secret(secret: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"kpimatch-api-key\0");
    h.update(secret.as_bytes());
    h.finalize().into()
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// A new random secret (`kpm_` + 64 hex digits) and its public id.
pub fn new_key() -> (String, String) {
    let mut secret = [0u8; 32];
    let mut id = [0u8; 8];
    rand::rng().fill_bytes(&mut secret);
    rand::rng().fill_bytes(&mut id);
    (format!("key_{}", hex(&id)), format!("kpm_{}", hex(&secret)))
}

impl Auth {
    /// Keys from the settings; `per_second` requests per key (0: no limit), bursts of twice that.
    pub fn new(admin_key: Option<&str>, read_keys: &[String], per_second: u32) -> Auth {
        let mut configured = Vec::new();
        if let Some(k) = admin_key {
            configured.push(KeyEntry {
                id: "config-admin".into(),
                scope: Scope::Admin,
                hash: hash_secret(k),
                revoked: false,
            });
        }
        for (i, k) in read_keys.iter().enumerate() {
            configured.push(KeyEntry {
                id: format!("config-read-{}", i + 1),
                scope: Scope::Read,
                hash: hash_secret(k),
                revoked: false,
            });
        }
        let limiter = NonZeroU32::new(per_second).map(|n| {
            let burst = NonZeroU32::new(per_second.saturating_mul(2)).unwrap_or(n);
            RateLimiter::keyed(Quota::per_second(n).allow_burst(burst))
        });
        Auth {
            dev_mode: configured.is_empty(),
            configured,
            stored: RwLock::new(Vec::new()),
            limiter,
        }
    }

    /// True when no key is configured: everything is allowed.
    pub fn dev_mode(&self) -> bool {
        self.dev_mode
    }

    /// Reloads the keys stored in the database.
    pub fn refresh(&self, store: &dyn Store) -> Result<(), StoreError> {
        let keys = store.keys()?;
        let entries = keys
            .into_iter()
            .filter_map(|k| {
                Some(KeyEntry {
                    scope: Scope::parse(&k.scope)?,
                    hash: unhex(&k.hash)?,
                    id: k.id,
                    revoked: k.revoked,
                })
            })
            .collect();
        *self.stored.write().unwrap_or_else(|p| p.into_inner()) = entries;
        Ok(())
    }

    /// Checks a request: the key (from `Authorization: Bearer …`) against the scope the route
    /// needs, then the key's rate.
    pub fn check(
        &self,
        method: &Method,
        path: &str,
        authorization: Option<&str>,
        peer: Option<IpAddr>,
    ) -> Result<Option<Caller>, ApiError> {
        let Some(needed) = required_scope(method, path) else {
            return Ok(None);
        };
        let caller = if self.dev_mode {
            Caller {
                key_id: format!("dev:{}", peer.map_or_else(|| "unknown".into(), |p| p.to_string())),
                scope: Scope::Admin,
            }
        } else {
            self.identify(authorization)?
        };
        if caller.scope < needed {
            return Err(ApiError::new(
                Code::Forbidden,
                format!(
                    "key {} has the {} scope; {method} {} needs the {} scope",
                    caller.key_id,
                    caller.scope.as_str(),
                    crate::error::truncate(path, 100),
                    needed.as_str()
                ),
            ));
        }
        if let Some(limiter) = &self.limiter {
            if let Err(not_until) = limiter.check_key(&caller.key_id) {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                let seconds = wait.as_secs_f64().ceil().max(1.0) as u32;
                return Err(ApiError::new(
                    Code::RateLimited,
                    format!("key {} is over its rate limit; retry in {seconds} s", caller.key_id),
                )
                .retry_after(seconds));
            }
        }
        Ok(Some(caller))
    }

    fn identify(&self, authorization: Option<&str>) -> Result<Caller, ApiError> {
        let Some(value) = authorization else {
            return Err(ApiError::new(
                Code::Unauthorized,
                "send an API key as 'Authorization: Bearer <key>'",
            ));
        };
        let Some(secret) = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|s| !s.is_empty())
        else {
            return Err(ApiError::new(
                Code::Unauthorized,
                "the Authorization header must be 'Bearer <key>'",
            ));
        };
        let presented = hash_secret(secret);
        let stored = self.stored.read().unwrap_or_else(|p| p.into_inner());
        // Every entry is compared, so the time taken does not tell which one matched.
        let mut found: Option<&KeyEntry> = None;
        for k in self.configured.iter().chain(stored.iter()) {
            if constant_time_eq(&k.hash, &presented) && found.is_none() {
                found = Some(k);
            }
        }
        match found {
            None => Err(ApiError::new(Code::Unauthorized, "the API key is not known")),
            Some(k) if k.revoked => Err(ApiError::new(Code::KeyRevoked, format!("key {} was revoked", k.id))),
            Some(k) => Ok(Caller {
                key_id: k.id.clone(),
                scope: k.scope,
            }),
        }
    }
}

/// A key record for the store.
pub fn stored_key(id: &str, name: &str, scope: Scope, secret: &str) -> StoredKey {
    StoredKey {
        id: id.to_string(),
        name: name.to_string(),
        scope: scope.as_str().to_string(),
        hash: hex(&hash_secret(secret)),
        created_at: now_rfc3339(),
        revoked: false,
    }
}

fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_follow_the_route() {
        assert_eq!(required_scope(&Method::GET, "/healthz"), None);
        assert_eq!(required_scope(&Method::GET, "/"), None);
        assert_eq!(required_scope(&Method::GET, "/v1/solutions"), Some(Scope::Read));
        assert_eq!(required_scope(&Method::POST, "/v1/match"), Some(Scope::Read));
        assert_eq!(required_scope(&Method::PUT, "/v1/solutions/x"), Some(Scope::Admin));
        assert_eq!(required_scope(&Method::POST, "/v1/feedback"), Some(Scope::Admin));
        assert_eq!(required_scope(&Method::GET, "/v1/keys"), Some(Scope::Admin));
    }

    #[test]
    fn keys_are_checked_by_hash_scope_and_revocation() {
        let auth = Auth::new(Some("a".repeat(32).as_str()), &["r".repeat(20)], 0);
        let get = |h: Option<&str>| auth.check(&Method::GET, "/v1/kpis", h, None);
        let put = |h: Option<&str>| auth.check(&Method::PUT, "/v1/solutions/x", h, None);
        let admin = format!("Bearer {}", "a".repeat(32));
        let read = format!("Bearer {}", "r".repeat(20));
        assert_eq!(get(None).unwrap_err().code, Code::Unauthorized);
        assert_eq!(get(Some("Bearer nope")).unwrap_err().code, Code::Unauthorized);
        assert_eq!(get(Some("Basic abc")).unwrap_err().code, Code::Unauthorized);
        assert_eq!(get(Some(&read)).unwrap().unwrap().scope, Scope::Read);
        assert_eq!(put(Some(&read)).unwrap_err().code, Code::Forbidden);
        assert_eq!(put(Some(&admin)).unwrap().unwrap().scope, Scope::Admin);
        assert!(auth.check(&Method::GET, "/healthz", None, None).unwrap().is_none());
    }

    #[test]
    fn the_rate_limit_answers_429_with_a_delay() {
        let auth = Auth::new(Some("a".repeat(32).as_str()), &[], 1);
        let admin = format!("Bearer {}", "a".repeat(32));
        let mut limited = None;
        for _ in 0..5 {
            if let Err(e) = auth.check(&Method::GET, "/v1/kpis", Some(&admin), None) {
                limited = Some(e);
                break;
            }
        }
        let e = limited.expect("a burst of 5 exceeds 1/s with burst 2");
        assert_eq!(e.code, Code::RateLimited);
        assert!(e.retry_after.is_some_and(|s| s >= 1));
    }

    #[test]
    fn dates_are_rfc3339() {
        let d = now_rfc3339();
        assert_eq!(d.len(), 20, "{d}");
        assert!(d.starts_with("20") && d.ends_with('Z'));
    }
}
