//! `archeo serve` run against a workspace, and a plain HTTP/1.1 client over a TCP socket: it
//! sends the request target exactly as given (no normalising of `..`, no encoding), which the
//! validation tests need.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::Duration;

use crate::common::Workspace;

/// A running `archeo serve`, stopped when dropped.
pub struct Server {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
}

impl Server {
    /// Starts `archeo serve --addr 127.0.0.1:0 EXTRA...` in the workspace and reads the URL it
    /// prints first.
    pub fn start(ws: &Workspace, extra: &[&str]) -> Server {
        Server::start_limited(ws, extra, None)
    }

    /// [`Server::start`] with at most `descriptors` open files (`ulimit -n`), when given.
    pub fn start_limited(ws: &Workspace, extra: &[&str], descriptors: Option<u32>) -> Server {
        let mut c = ws.archeo();
        c.args(["serve", "--addr", "127.0.0.1:0"]).args(extra);
        if let Some(n) = descriptors {
            let mut sh = std::process::Command::new("sh");
            sh.arg("-c")
                .arg(format!("ulimit -n {n} && exec \"$0\" \"$@\""))
                .arg(c.get_program())
                .args(c.get_args());
            if let Some(d) = c.get_current_dir() {
                sh.current_dir(d);
            }
            for (k, v) in c.get_envs() {
                match v {
                    Some(v) => sh.env(k, v),
                    None => sh.env_remove(k),
                };
            }
            c = sh;
        }
        c.stdout(Stdio::piped()).stderr(Stdio::null());
        let mut child = c.spawn().expect("archeo serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("http://")
            .and_then(|s| s.strip_suffix('/'))
            .unwrap_or_else(|| panic!("archeo serve printed {line:?}, not its URL"))
            .to_string();
        Server { child, addr }
    }

    /// The URL of `target`.
    pub fn url(&self, target: &str) -> String {
        format!("http://{}{target}", self.addr)
    }

    /// `GET target`.
    pub fn get(&self, target: &str) -> Reply {
        request(&self.addr, "GET", target)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    /// A header's value (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `METHOD target` with `Connection: close` and reads the whole answer.
pub fn request(addr: &str, method: &str, target: &str) -> Reply {
    request_within(addr, method, target, Duration::from_secs(120))
}

/// [`request`], failing when the answer takes longer than `wait` to arrive.
pub fn request_within(addr: &str, method: &str, target: &str, wait: Duration) -> Reply {
    let mut s = TcpStream::connect(addr).expect("the server accepts connections");
    s.set_read_timeout(Some(wait)).unwrap();
    write!(
        s,
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    parse(&raw)
}

fn parse(raw: &[u8]) -> Reply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer has a header");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body: String::from_utf8(body).expect("UTF-8 body"),
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 2 + size + 2..];
    }
}

/// The text an HTML page shows for `s` (maud escapes these).
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Every `href="..."` of a page that starts with `prefix`, unescaped.
pub fn hrefs(body: &str, prefix: &str) -> Vec<String> {
    body.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(|h| h.replace("&amp;", "&"))
        .filter(|h| h.starts_with(prefix))
        .collect()
}
