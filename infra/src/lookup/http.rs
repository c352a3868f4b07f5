//! The `http` lookup source: a flow's lookup node POSTs its parameters (all but `url`) as a
//! JSON object to `url` and reads a JSON object back. A POST, so that a PIN travels in the
//! body and not in a URL that proxies and access logs keep.
//!
//! One connection per lookup: a lookup happens at most a few times per call, and a fresh
//! connection cannot be left half-broken by an earlier one. Plain `http://` only; a
//! business system behind TLS sits behind a local proxy.

use std::collections::BTreeMap;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::{Request, Uri, header};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::{Fields, LookupError, LookupSource};

/// The largest answer read; a bigger one is a failure, not a memory problem.
const MAX_ANSWER: usize = 64 * 1024;

/// Business data over HTTP, for flows' `source = "http"` lookups.
#[derive(Debug, Clone, Default)]
pub struct HttpLookup;

#[async_trait::async_trait]
impl LookupSource for HttpLookup {
    fn name(&self) -> &str {
        "http"
    }

    /// Fields: the text, number and true/false members of the answer's JSON object.
    async fn lookup(&self, params: &Fields) -> Result<Fields, LookupError> {
        let url = params
            .get("url")
            .ok_or_else(|| LookupError::MissingParameter("url".into()))?;
        let failed = |what: String| LookupError::Failed(format!("{url}: {what}"));
        let uri: Uri = url
            .parse()
            .map_err(|e| failed(format!("not a URL ({e})")))?;
        if uri.scheme_str() != Some("http") {
            return Err(failed(
                "only http:// URLs are supported; reach an https:// service through a local proxy"
                    .into(),
            ));
        }
        let (Some(host), Some(authority)) = (uri.host(), uri.authority()) else {
            return Err(failed("the URL has no host".into()));
        };
        let port = uri.port_u16().unwrap_or(80);
        let stream = TcpStream::connect((host, port))
            .await
            .map_err(|e| failed(format!("cannot connect ({e})")))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| failed(format!("HTTP handshake failed ({e})")))?;
        // The connection's own task; it ends with the exchange (or when the lookup is
        // dropped for its timeout, which drops the sender).
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "http lookup connection ended with an error");
            }
        });
        let body: BTreeMap<&str, &str> = params
            .iter()
            .filter(|(k, _)| k.as_str() != "url")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let body = serde_json::to_vec(&body).map_err(|e| failed(e.to_string()))?;
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let request = Request::post(path)
            .header(header::HOST, authority.as_str())
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| failed(e.to_string()))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| failed(format!("no answer ({e})")))?;
        let status = response.status();
        if !status.is_success() {
            return Err(failed(format!("answered {status}")));
        }
        let bytes = Limited::new(response.into_body(), MAX_ANSWER)
            .collect()
            .await
            .map_err(|e| failed(format!("reading the answer failed ({e})")))?
            .to_bytes();
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| failed(format!("the answer is not JSON ({e})")))?;
        let serde_json::Value::Object(members) = value else {
            return Err(failed("the answer is not a JSON object".into()));
        };
        Ok(members
            .into_iter()
            .filter_map(|(k, v)| {
                let text = match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Number(n) => n.to_string(),
                    serde_json::Value::Bool(b) => b.to_string(),
                    _ => return None,
                };
                Some((k, text))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A one-shot server: answers the first request with `status` and `body`, and hands
    /// back the request it read.
    async fn serve_once(status: &str, body: &str) -> (String, tokio::task::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/accounts/12345674/balance",
            listener.local_addr().unwrap()
        );
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let task = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // Read the head, then the body its content-length announces.
            loop {
                let n = socket.read(&mut buf).await.unwrap();
                request.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&request).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length: usize = text
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length: ")
                                .map(|v| v.trim().parse().unwrap())
                        })
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        break;
                    }
                }
                if n == 0 {
                    break;
                }
            }
            socket.write_all(response.as_bytes()).await.unwrap();
            String::from_utf8(request).unwrap()
        });
        (url, task)
    }

    fn params(url: &str) -> Fields {
        [
            ("url".to_owned(), url.to_owned()),
            ("pin".to_owned(), "4321".to_owned()),
        ]
        .into()
    }

    #[tokio::test]
    async fn the_params_are_posted_and_the_answer_becomes_fields() {
        let (url, server) = serve_once(
            "200 OK",
            r#"{"balance": 42.5, "currency": "USD", "frozen": false, "history": []}"#,
        )
        .await;
        let fields = HttpLookup.lookup(&params(&url)).await.unwrap();
        assert_eq!(
            fields,
            [
                ("balance".to_owned(), "42.5".to_owned()),
                ("currency".to_owned(), "USD".to_owned()),
                ("frozen".to_owned(), "false".to_owned()),
            ]
            .into()
        );
        let request = server.await.unwrap();
        assert!(
            request.starts_with("POST /accounts/12345674/balance HTTP/1.1\r\n"),
            "{request}"
        );
        assert!(request.ends_with(r#"{"pin":"4321"}"#), "{request}");
    }

    #[tokio::test]
    async fn an_error_status_bad_json_or_no_server_is_a_failure() {
        let (url, _server) = serve_once("503 Service Unavailable", "{}").await;
        let e = HttpLookup.lookup(&params(&url)).await.unwrap_err();
        assert_eq!(
            e,
            LookupError::Failed(format!("{url}: answered 503 Service Unavailable"))
        );

        let (url, _server) = serve_once("200 OK", "balance: 12").await;
        let e = HttpLookup
            .lookup(&params(&url))
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("the answer is not JSON"), "{e}");

        let (url, _server) = serve_once("200 OK", "[1, 2]").await;
        let e = HttpLookup
            .lookup(&params(&url))
            .await
            .unwrap_err()
            .to_string();
        assert!(e.ends_with("the answer is not a JSON object"), "{e}");

        // A port nobody listens on: bound, then released.
        let addr = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap();
        let e = HttpLookup
            .lookup(&params(&format!("http://{addr}/x")))
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot connect"), "{e}");

        let e = HttpLookup
            .lookup(&params("https://bank.example/x"))
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("only http:// URLs"), "{e}");
        assert_eq!(
            HttpLookup.lookup(&Fields::new()).await,
            Err(LookupError::MissingParameter("url".into()))
        );
    }
}
