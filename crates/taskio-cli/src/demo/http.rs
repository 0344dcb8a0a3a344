//! The demo's HTTP side: a reqwest client (rustls) and the embedded server's base URL, with
//! the seeds' `fetch(client, url)` as a taskio cancellation point.

use taskio::CancellableExt;

/// The client and the base URL of the embedded server.
#[derive(Clone, Debug)]
pub struct Http {
    client: reqwest::Client,
    base: String,
}

impl Http {
    /// A client for the server at `base` (e.g. `http://127.0.0.1:4321`).
    pub fn new(base: String) -> Http {
        Http {
            client: reqwest::Client::new(),
            base,
        }
    }

    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Seed 004's `fetch(client, url)`: GET `path`, read the body, return the status code.
    /// Cancelling the task that awaits it drops the request.
    pub async fn fetch(&self, path: &str) -> taskio::Result<u16> {
        let response = self
            .client
            .get(self.url(path))
            .send()
            .cancellable()
            .await??;
        let status = response.status().as_u16();
        response.bytes().cancellable().await??;
        Ok(status)
    }

    /// Opens `n` pooled connections at once (concurrent requests to a fast endpoint), so that
    /// connection set-up is not part of any measured time.
    pub async fn warm(&self, n: usize) -> taskio::Result<()> {
        let warmers: Vec<_> = (0..n)
            .map(|_| {
                let http = self.clone();
                taskio::spawn(async move { http.fetch("/delay/20").await })
            })
            .collect();
        for w in warmers {
            w.await?;
        }
        Ok(())
    }
}
