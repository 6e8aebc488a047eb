//! The byte streams the gRPC server runs over: connections to a Unix socket
//! or a loopback TCP port, plain or wrapped in mutual TLS, accepted off the
//! main task so a slow handshake never blocks other connections.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
#[cfg(unix)]
use tokio::net::UnixListener;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::Connected;

/// How long a client may take to complete the TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A connected byte stream of any kind the server accepts.
trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// The socket the server accepts connections on.
#[derive(Debug)]
pub(super) enum Listener {
    /// A Unix socket in a private directory (Linux, macOS).
    #[cfg(unix)]
    Unix(UnixListener),
    /// A TCP port on 127.0.0.1 (Windows, or forced on Unix).
    Tcp(TcpListener),
}

impl Listener {
    async fn accept(&self) -> io::Result<Box<dyn Io>> {
        match self {
            #[cfg(unix)]
            Listener::Unix(listener) => {
                let (stream, _) = listener.accept().await?;
                Ok(Box::new(stream))
            }
            Listener::Tcp(listener) => {
                let (stream, _) = listener.accept().await?;
                // gRPC writes small frames and waits for answers: Nagle's
                // algorithm would only add latency, as Go turns it off too.
                stream.set_nodelay(true)?;
                Ok(Box::new(stream))
            }
        }
    }
}

/// One accepted connection, plaintext HTTP/2 (no `PLUGIN_CLIENT_CERT`, or
/// debug mode) or mutual TLS, over either kind of socket.
pub(super) struct PluginStream(Box<dyn Io>);

impl Connected for PluginStream {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for PluginStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for PluginStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.get_mut().0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}

/// Accepts connections on `listener`, completing TLS when `tls` is given, and
/// yields them as a stream for the gRPC server.
pub(super) fn incoming(
    listener: Listener,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> ReceiverStream<Result<PluginStream, io::Error>> {
    let (sender, receiver) = mpsc::channel(16);
    let acceptor = tls.map(TlsAcceptor::from);
    tokio::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok(stream) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            let sender = sender.clone();
            match &acceptor {
                None => {
                    if sender.send(Ok(PluginStream(stream))).await.is_err() {
                        return;
                    }
                }
                Some(acceptor) => {
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream))
                            .await
                        {
                            Ok(Ok(tls)) => {
                                let _ = sender.send(Ok(PluginStream(Box::new(tls)))).await;
                            }
                            Ok(Err(e)) => {
                                tracing::warn!(error = %e, "refused a connection: TLS handshake failed")
                            }
                            Err(_) => {
                                tracing::warn!("refused a connection: TLS handshake timed out")
                            }
                        }
                    });
                }
            }
        }
    });
    ReceiverStream::new(receiver)
}
