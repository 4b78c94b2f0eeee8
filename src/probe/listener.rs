//! A loopback HTTP listener the probe runs while it attacks URL parameters: a request that
//! reaches it is the evidence that the server fetches whatever URL it is given.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Request lines kept; a server fetching in a loop cannot grow the probe's memory.
const MAX_SEEN: usize = 256;
const MAX_LINE: usize = 512;

pub struct Listener {
    pub port: u16,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Listener {
    /// Listens on an ephemeral port of 127.0.0.1.
    pub fn start() -> std::io::Result<Self> {
        let socket = TcpListener::bind(("127.0.0.1", 0))?;
        socket.set_nonblocking(true)?;
        let port = socket.local_addr()?.port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen2, stop2) = (seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                match socket.accept() {
                    Ok((stream, _)) => serve(stream, &seen2),
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Ok(Self {
            port,
            seen,
            stop,
            thread: Some(thread),
        })
    }

    /// The first request line that contains `marker`, waiting up to `wait` for it (a server
    /// may answer before its fetch completes).
    pub fn reached(&self, marker: &str, wait: Duration) -> Option<String> {
        let until = std::time::Instant::now() + wait;
        loop {
            if let Some(line) = self
                .seen
                .lock()
                .ok()
                .and_then(|s| s.iter().find(|l| l.contains(marker)).cloned())
            {
                return Some(line);
            }
            if std::time::Instant::now() >= until {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads the request line and answers a short page, so the fetch completes quickly.
fn serve(mut stream: TcpStream, seen: &Mutex<Vec<String>>) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 2048];
    let n = stream.read(&mut buf).unwrap_or(0);
    let head = String::from_utf8_lossy(&buf[..n]);
    let line: String = head
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(MAX_LINE)
        .collect();
    if let Ok(mut s) = seen.lock()
        && s.len() < MAX_SEEN
    {
        s.push(line);
    }
    let body = "probe listener\n";
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}
