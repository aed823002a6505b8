//! The per-endpoint budgets of seed 003 (plus seed 000's shared auth budget).

use std::time::Duration;

use poem::http::Method;

/// A request budget: `limit` requests per `window`, counted under `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    /// The counter's name; endpoints with the same name share a budget.
    pub name: &'static str,
    /// Requests per window (before the `--rate-limits` multiplier).
    pub limit: u64,
    /// The window length.
    pub window: Duration,
}

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

/// The budget that applies to `method path`.
pub fn budget_for(method: &Method, path: &str) -> Budget {
    let budget = |name, limit, window| Budget { name, limit, window };
    let post = method == Method::POST;
    match path {
        "/api/auth/register" if post => budget("register", 5, MINUTE),
        "/api/auth/login" if post => budget("login", 5, MINUTE),
        "/api/auth/logout" if post => budget("logout", 100, HOUR),
        "/api/auth/forgot-password" | "/api/auth/reset-password" => budget("auth", 5, MINUTE),
        p if p.starts_with("/api/auth/2fa/") => budget("auth", 5, MINUTE),
        "/api/credit/calculate-score" if post => budget("credit-score", 10, MINUTE),
        "/api/credit/history" => budget("credit-history", 100, HOUR),
        "/api/loans/apply" if post => budget("loans-apply", 3, HOUR),
        "/api/loans/calculate" if post => budget("loans-calculate", 100, HOUR),
        "/api/profile" => budget("profile", 100, HOUR),
        _ => budget("default", 100, HOUR),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_003_budgets() {
        let b = |m: Method, p: &str| {
            let b = budget_for(&m, p);
            (b.name, b.limit, b.window.as_secs())
        };
        assert_eq!(b(Method::POST, "/api/auth/register"), ("register", 5, 60));
        assert_eq!(b(Method::POST, "/api/auth/login"), ("login", 5, 60));
        assert_eq!(b(Method::POST, "/api/auth/logout"), ("logout", 100, 3600));
        assert_eq!(b(Method::POST, "/api/credit/calculate-score"), ("credit-score", 10, 60));
        assert_eq!(b(Method::GET, "/api/credit/history"), ("credit-history", 100, 3600));
        assert_eq!(b(Method::POST, "/api/loans/apply"), ("loans-apply", 3, 3600));
        assert_eq!(b(Method::POST, "/api/loans/calculate"), ("loans-calculate", 100, 3600));
        assert_eq!(b(Method::GET, "/api/profile"), ("profile", 100, 3600));
        assert_eq!(b(Method::POST, "/api/auth/forgot-password"), ("auth", 5, 60));
        assert_eq!(b(Method::POST, "/api/auth/2fa/verify"), ("auth", 5, 60));
        assert_eq!(b(Method::GET, "/api/health"), ("default", 100, 3600));
        assert_eq!(b(Method::GET, "/api/auth/register"), ("default", 100, 3600));
    }
}
