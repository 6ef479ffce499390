//! The built-in generator's HTTP client: one keep-alive connection per worker, each
//! request a byte string prepared once, each answer read with `httparse` and checked.
//! A general-purpose client (pools, header maps, body streams) costs the shared CPUs
//! several times more per request, and that is taken from the server under test.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

/// What a good answer looks like: status 200 and a body with this start and end.
#[derive(Debug, Clone, Copy)]
pub struct Expect {
    pub starting: &'static [u8],
    pub ending: &'static [u8],
}

/// An HTTP/1.1 request for `path` on `address`: GET without a body, POST of JSON with one.
pub fn request_bytes(address: SocketAddr, path: &str, body: Option<&[u8]>) -> Vec<u8> {
    let mut request = match body {
        Some(body) => format!(
            "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes(),
        None => format!("GET {path} HTTP/1.1\r\nHost: {address}\r\n\r\n").into_bytes(),
    };
    request.extend_from_slice(body.unwrap_or_default());
    request
}

/// Where an answer ends, once its head has arrived: `Ok(None)` while incomplete.
pub fn answer_end(buffer: &[u8]) -> Result<Option<(u16, usize, usize)>, String> {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut response = httparse::Response::new(&mut headers);
    let head = match response.parse(buffer) {
        Ok(httparse::Status::Complete(head)) => head,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(error) => return Err(format!("unreadable answer: {error}")),
    };
    let status = response.code.unwrap_or(0);
    let length = response
        .headers
        .iter()
        .find(|header| header.name.eq_ignore_ascii_case("content-length"))
        .and_then(|header| std::str::from_utf8(header.value).ok())
        .and_then(|value| value.trim().parse::<usize>().ok())
        .ok_or_else(|| format!("HTTP {status} answer without Content-Length"))?;
    Ok(Some((status, head, head + length)))
}

/// One worker's connection.
pub struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    pub async fn open(address: SocketAddr) -> Result<Self, String> {
        let stream = TcpStream::connect(address)
            .await
            .map_err(|error| format!("cannot connect: {error}"))?;
        stream
            .set_nodelay(true)
            .map_err(|error| format!("cannot set TCP_NODELAY: {error}"))?;
        Ok(Connection {
            stream,
            buffer: Vec::with_capacity(4096),
        })
    }

    /// Sends `request` and reads its answer, which must be as `expect` says.
    pub async fn exchange(&mut self, request: &[u8], expect: Expect) -> Result<(), String> {
        self.stream
            .write_all(request)
            .await
            .map_err(|error| format!("request failed: {error}"))?;
        self.buffer.clear();
        let (status, head, end) = loop {
            if let Some(found) = answer_end(&self.buffer)? {
                break found;
            }
            self.read_more().await?;
        };
        while self.buffer.len() < end {
            self.read_more().await?;
        }
        let body = &self.buffer[head..end];
        if status == 200 && body.starts_with(expect.starting) && body.ends_with(expect.ending) {
            Ok(())
        } else {
            let shown = &body[..body.len().min(200)];
            Err(format!("HTTP {status}: {}", String::from_utf8_lossy(shown)))
        }
    }

    async fn read_more(&mut self) -> Result<(), String> {
        self.buffer.reserve(1024);
        match self.stream.read_buf(&mut self.buffer).await {
            Ok(0) => Err("the server closed the connection".to_owned()),
            Ok(_) => Ok(()),
            Err(error) => Err(format!("reading the answer failed: {error}")),
        }
    }
}

/// A connection per worker, opened on first use and again after a failure.
#[derive(Clone)]
pub struct Connections {
    address: SocketAddr,
    slots: Arc<Vec<Mutex<Option<Connection>>>>,
}

impl Connections {
    pub fn new(address: SocketAddr, workers: usize) -> Self {
        Connections {
            address,
            slots: Arc::new((0..workers.max(1)).map(|_| Mutex::new(None)).collect()),
        }
    }

    /// Sends `request` on `worker`'s connection.
    pub async fn exchange(
        &self,
        worker: usize,
        request: &[u8],
        expect: Expect,
    ) -> Result<(), String> {
        let mut slot = self.slots[worker % self.slots.len()].lock().await;
        let connection = match slot.as_mut() {
            Some(connection) => connection,
            None => slot.insert(Connection::open(self.address).await?),
        };
        let result = connection.exchange(request, expect).await;
        if result.is_err() {
            // The connection may hold half an answer: start afresh next time.
            *slot = None;
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_spelled_out_once() {
        let address: SocketAddr = "127.0.0.1:8080".parse().expect("an address");
        assert_eq!(
            request_bytes(address, "/alive", None),
            b"GET /alive HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n".to_vec()
        );
        let post = request_bytes(address, "/", Some(b"{}"));
        assert!(post.starts_with(b"POST / HTTP/1.1\r\n"));
        assert!(post.ends_with(b"Content-Length: 2\r\n\r\n{}"));
    }

    #[test]
    fn answers_end_where_their_length_says() {
        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\nx: y\r\n\r\nabcd";
        assert_eq!(answer_end(&answer[..10]), Ok(None));
        assert_eq!(answer_end(answer), Ok(Some((200, 44, 48))));
        assert!(answer_end(b"HTTP/1.1 200 OK\r\n\r\n").is_err());
        assert!(answer_end(b"garbage\r\n\r\n").is_err());
    }
}
