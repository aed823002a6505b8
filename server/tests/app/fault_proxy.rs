//! A TCP proxy between a server process and PostgreSQL or Redis that can take the dependency
//! away, as an outage looks from the server: `Down` closes every open connection and every
//! new one at once (a stopped server: refused, reset), `Frozen` holds connections open and
//! passes nothing (a hung server or a network partition), `Up` forwards again.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the proxy does with traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forward both ways.
    Up,
    /// Close every connection, open or new.
    Down,
    /// Accept and hold connections, forward nothing.
    Frozen,
}

/// A running proxy; it stops with the runtime it was started on.
pub struct FaultProxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    mode: Arc<watch::Sender<Mode>>,
}

impl FaultProxy {
    /// Starts forwarding `127.0.0.1:<port>` (a free one) to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mode = Arc::new(watch::Sender::new(Mode::Up));
        let modes = mode.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(serve(client, upstream, modes.subscribe()));
            }
        });
        Self { addr, mode }
    }

    /// Switches the mode; connections open now follow at once.
    pub fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }
}

/// Serves one client connection until it ends or the mode takes it down.
async fn serve(mut client: TcpStream, upstream: SocketAddr, mut mode: watch::Receiver<Mode>) {
    let current = *mode.borrow_and_update();
    match current {
        Mode::Down => return,
        Mode::Frozen => {
            // Hold the connection silently until the mode changes, then drop it.
            let _ = mode.changed().await;
            return;
        }
        Mode::Up => {}
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = async {
            while mode.changed().await.is_ok() {
                if *mode.borrow() != Mode::Up {
                    break;
                }
            }
        } => {
            if *mode.borrow() == Mode::Frozen {
                // Stop passing bytes but keep both ends open until the mode changes again.
                let _ = mode.changed().await;
            }
        }
    }
    let _ = client.shutdown().await;
}
