//! Outgoing messages (email verification, password reset) through the configured output:
//! `log` prints them; `file:<dir>` writes one JSON file per message (what tests read).

use std::path::PathBuf;

use serde::Serialize;

use crate::config::MailerConfig;

/// One message.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    /// Recipient address.
    pub to: String,
    /// What it is for: `verify_email` or `reset_password`.
    pub kind: String,
    /// Subject line.
    pub subject: String,
    /// Body text (contains the link).
    pub body: String,
    /// The single-use token the message carries.
    pub token: String,
}

/// Sends messages to the configured output.
#[derive(Debug, Clone)]
pub struct Mailer {
    config: MailerConfig,
}

impl Mailer {
    /// A mailer for `config`.
    pub fn new(config: MailerConfig) -> Self {
        Self { config }
    }

    /// Sends `message`; failures are logged, never shown to the caller (they would reveal
    /// whether the address is registered).
    pub async fn send(&self, message: Message) {
        match &self.config {
            MailerConfig::Log => {
                tracing::info!(to = %message.to, subject = %message.subject, body = %message.body, "mail (log mailer)");
            }
            MailerConfig::File(dir) => {
                if let Err(error) = write_file(dir.clone(), &message).await {
                    tracing::error!(%error, dir = %dir.display(), "the file mailer could not write a message");
                }
            }
        }
    }
}

/// Writes `message` as `<dir>/<unix-nanos>-<kind>-<uuid>.json`.
async fn write_file(dir: PathBuf, message: &Message) -> std::io::Result<()> {
    tokio::fs::create_dir_all(&dir).await?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let name = format!("{nanos:020}-{}-{}.json", message.kind, uuid::Uuid::new_v4());
    let json = serde_json::to_vec_pretty(message).map_err(std::io::Error::other)?;
    // Write then rename, so a reader never sees half a message.
    let tmp = dir.join(format!(".{name}.tmp"));
    tokio::fs::write(&tmp, json).await?;
    tokio::fs::rename(&tmp, dir.join(name)).await
}
