//! Reading a response body with bounded memory: chunks are counted and dropped, never kept, and
//! reading stops past `--max-bytes` (the body is cut and the cut is reported).

use taskio::CancellableExt;

/// How much of a body was read: see [`read_bounded`].
///
/// ```
/// let read = taskio_cli::fetch::body::BodyRead { bytes: 10, cut: false };
/// assert!(!read.cut);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyRead {
    /// Bytes read (at most the limit).
    pub bytes: u64,
    /// Whether the body was longer than the limit and was cut.
    pub cut: bool,
}

/// Why a body could not be read to its end or to the limit, and how much of it was read.
///
/// ```
/// use taskio_cli::fetch::body::{BodyError, Why};
/// let e = BodyError { bytes: 100, why: Why::Cancelled(taskio::Cancelled::new(Some("stop"))) };
/// assert!(matches!(e.why, Why::Cancelled(_)));
/// ```
#[derive(Debug)]
pub struct BodyError {
    /// The bytes read before it failed.
    pub bytes: u64,
    /// Why it failed.
    pub why: Why,
}

/// Why a body could not be read: see [`BodyError`].
///
/// ```
/// let why = taskio_cli::fetch::body::Why::Cancelled(taskio::Cancelled::new(None::<&str>));
/// assert!(format!("{why:?}").starts_with("Cancelled"));
/// ```
#[derive(Debug)]
pub enum Why {
    /// The task was cancelled while reading (with the reason given to `cancel_with`).
    Cancelled(taskio::Cancelled),
    /// The transfer failed (or timed out).
    Http(reqwest::Error),
}

/// Streams `response`'s body, counting bytes and keeping none, up to `max` bytes.
///
/// ```
/// # use taskio_cli::fetch::body::read_bounded;
/// let server = taskio_cli::server::Server::start(std::time::Duration::ZERO).unwrap();
/// let url = server.url("/bytes/100000");
/// let read = taskio::run(async move {
///     let response = reqwest::get(url).await?;
///     let read = read_bounded(response, 1000).await;
///     taskio::Ok(read.map_err(|e| taskio::Error::msg(format!("{e:?}")))?)
/// })
/// .unwrap();
/// assert_eq!((read.bytes, read.cut), (1000, true));
/// ```
pub async fn read_bounded(
    mut response: reqwest::Response,
    max: u64,
) -> Result<BodyRead, BodyError> {
    let mut bytes = 0u64;
    loop {
        let chunk = response
            .chunk()
            .cancellable()
            .await
            .map_err(|c| BodyError {
                bytes,
                why: Why::Cancelled(c),
            })?
            .map_err(|e| BodyError {
                bytes,
                why: Why::Http(e),
            })?;
        match chunk {
            None => return Ok(BodyRead { bytes, cut: false }),
            Some(chunk) => {
                bytes += chunk.len() as u64;
                if bytes > max {
                    // Dropping the response closes the connection: the rest is never read.
                    return Ok(BodyRead {
                        bytes: max,
                        cut: true,
                    });
                }
            }
        }
    }
}
