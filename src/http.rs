//! Plain HTTP request and response values, free of any platform type.
//!
//! The Worker adapter copies the platform's `Request` into a [`Request`] and a
//! [`Response`] back out; everything in between is ordinary Rust that native
//! tests drive directly.

use serde::Serialize;

/// An incoming request, as the edge sees it.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// Upper-case method, e.g. `GET`.
    pub method: String,
    /// The full URL, e.g. `https://t.example.com/n/abc.png?x=1`.
    pub url: String,
    /// Header pairs; names are compared case-insensitively.
    pub headers: Vec<(String, String)>,
    /// The body (admin API requests carry JSON).
    pub body: Vec<u8>,
}

impl Request {
    /// A request with no headers or body.
    pub fn new(method: &str, url: &str) -> Self {
        Request {
            method: method.to_ascii_uppercase(),
            url: url.to_owned(),
            ..Request::default()
        }
    }

    /// Adds a header (builder style, for tests and the CLI).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body (builder style).
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// `scheme://host[:port]` of the URL (used to build absolute URLs in API answers).
    pub fn origin(&self) -> &str {
        let after_scheme = self.url.find("://").map_or(0, |i| i + 3);
        let end = self.url[after_scheme..]
            .find('/')
            .map_or(self.url.len(), |i| after_scheme + i);
        &self.url[..end]
    }

    /// The path of the URL, without query or fragment.
    pub fn path(&self) -> &str {
        let origin_len = self.origin().len();
        let rest = &self.url[origin_len..];
        let end = rest.find(['?', '#']).unwrap_or(rest.len());
        if end == 0 { "/" } else { &rest[..end] }
    }
}

/// An outgoing response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Header pairs in order.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

/// The caching rule for every email-facing answer: each open must reach the
/// edge again (Gmail's proxy honours `no-cache`), and nothing may be shared
/// between recipients.
pub const NO_STORE: &str = "no-cache, no-store, must-revalidate, private";

impl Response {
    /// A response with a body and content type.
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Response {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        }
    }

    /// An email-facing image: always 200, never cached.
    pub fn image(content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Response::new(200, content_type, body).with_header("cache-control", NO_STORE)
    }

    /// A JSON answer.
    pub fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> Self {
        let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
        Response::new(status, "application/json; charset=utf-8", body)
    }

    /// Adds a header (builder style).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Decodes `%XX` escapes in a path segment; `None` when the escapes are invalid UTF-8.
pub fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_and_path() {
        let r = Request::new("get", "https://t.example.com:8443/n/abc.png?x=1#f");
        assert_eq!(r.method, "GET");
        assert_eq!(r.origin(), "https://t.example.com:8443");
        assert_eq!(r.path(), "/n/abc.png");
        assert_eq!(Request::new("GET", "http://h").path(), "/");
        assert_eq!(Request::new("GET", "http://h/?q").path(), "/");
    }

    #[test]
    fn headers_are_case_insensitive() {
        let r = Request::new("GET", "http://h/").header("User-Agent", "x");
        assert_eq!(r.header_value("user-agent"), Some("x"));
        assert_eq!(r.header_value("accept"), None);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(
            percent_decode("spring%20sale").as_deref(),
            Some("spring sale")
        );
        assert_eq!(percent_decode("a%2").as_deref(), Some("a%2"));
        assert_eq!(percent_decode("%ff"), None);
    }
}
