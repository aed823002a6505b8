//! Creating and dropping whole PostgreSQL databases: what test harnesses use to give every
//! test run a database of its own on a shared server.

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

/// Creates database `name` on the server of `base_url` and returns its URL.
pub async fn create_database(base_url: &str, name: &str) -> anyhow::Result<String> {
    check_name(name)?;
    let mut conn = AsyncPgConnection::establish(base_url).await?;
    conn.batch_execute(&format!("CREATE DATABASE \"{name}\"")).await?;
    Ok(replace_database(base_url, name))
}

/// Drops database `name` on the server of `base_url`, disconnecting its sessions.
pub async fn drop_database(base_url: &str, name: &str) -> anyhow::Result<()> {
    check_name(name)?;
    let mut conn = AsyncPgConnection::establish(base_url).await?;
    conn.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await?;
    Ok(())
}

/// `base_url` with its database name replaced by `name` (query string kept).
pub fn replace_database(base_url: &str, name: &str) -> String {
    let (head, query) = match base_url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (base_url, None),
    };
    let authority_start = head.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match head[authority_start..].find('/') {
        Some(slash) => &head[..authority_start + slash],
        None => head,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Database names are interpolated into SQL: allow only `[a-z0-9_]`.
fn check_name(name: &str) -> anyhow::Result<()> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        anyhow::bail!("invalid database name `{name}`");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database_name() {
        assert_eq!(
            replace_database("postgres://u@h:5432/test", "x1"),
            "postgres://u@h:5432/x1"
        );
        assert_eq!(
            replace_database("postgres://u@h/test?sslmode=disable", "x1"),
            "postgres://u@h/x1?sslmode=disable"
        );
        assert_eq!(replace_database("postgres://u@h:5432", "x1"), "postgres://u@h:5432/x1");
        assert!(check_name("meridian_test_01").is_ok());
        assert!(check_name("x\"; DROP").is_err());
    }
}
