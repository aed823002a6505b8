//! The JWT signing key: from `--jwt-secret`, or a development key generated once and kept in
//! `<data-dir>/jwt-secret` (refused in `--production`).

use std::path::Path;

use anyhow::{Context, bail};

use crate::config::Config;

/// Minimum secret length in bytes (HS256 wants at least the hash size).
const MIN_LEN: usize = 32;

/// The key that signs JWTs for this configuration.
pub fn jwt_secret(config: &Config) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = &config.jwt_secret {
        if secret.len() < MIN_LEN {
            bail!("--jwt-secret / MERIDIAN_JWT_SECRET must be at least {MIN_LEN} bytes");
        }
        return Ok(secret.as_bytes().to_vec());
    }
    if config.production {
        bail!("--production requires --jwt-secret / MERIDIAN_JWT_SECRET");
    }
    let secret = load_or_create(&config.data_dir.join("jwt-secret"))?;
    tracing::warn!(
        path = %config.data_dir.join("jwt-secret").display(),
        "no --jwt-secret given: using a generated DEVELOPMENT key; set MERIDIAN_JWT_SECRET in production"
    );
    Ok(secret)
}

/// Reads the key at `path`, creating a random one (64 hex digits, mode 0600) when absent.
fn load_or_create(path: &Path) -> anyhow::Result<Vec<u8>> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        let existing = existing.trim();
        if existing.len() >= MIN_LEN {
            return Ok(existing.as_bytes().to_vec());
        }
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let bytes: [u8; 32] = rand::random();
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    write_private(path, &secret).with_context(|| format!("writing {}", path.display()))?;
    Ok(secret.into_bytes())
}

/// Writes `content` readable by the owner only.
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(content.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(args: &[&str]) -> Config {
        let mut all = vec!["meridian-server"];
        all.extend_from_slice(args);
        Config::from_args(all).unwrap()
    }

    #[test]
    fn generates_once_and_reuses() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_str().unwrap();
        let first = jwt_secret(&config(&["--data-dir", data])).unwrap();
        let second = jwt_secret(&config(&["--data-dir", data])).unwrap();
        assert_eq!(first, second);
        assert_eq!(first.len(), 64);
    }

    #[test]
    fn production_needs_an_explicit_long_secret() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_str().unwrap();
        assert!(jwt_secret(&config(&["--data-dir", data, "--production"])).is_err());
        assert!(jwt_secret(&config(&["--jwt-secret", "short"])).is_err());
        let long = "k".repeat(40);
        assert_eq!(
            jwt_secret(&config(&["--production", "--jwt-secret", &long])).unwrap(),
            long.as_bytes()
        );
    }
}
