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
        self.split_origin().0
    }

    /// The path of the URL, without query or fragment.
    pub fn path(&self) -> &str {
        let rest = self.split_origin().1;
        let path = rest.split(['?', '#']).next().unwrap_or_default();
        if path.is_empty() { "/" } else { path }
    }

    /// `(origin, the rest)`: the URL split before the first `/` after `scheme://`.
    fn split_origin(&self) -> (&str, &str) {
        let (scheme, after_scheme) = match self.url.split_once("://") {
            Some((scheme, rest)) => (scheme.len() + 3, rest),
            None => (0, self.url.as_str()),
        };
        let end = after_scheme
            .find('/')
            .map_or(self.url.len(), |i| scheme + i);
        // `end` is at a '/' or the end of the URL, so always a character boundary.
        self.url
            .split_at_checked(end)
            .unwrap_or((self.url.as_str(), ""))
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
/// A `%` that is not followed by two hex digits is kept as it is; a hex escape that
/// is not a hex digit pair (`%+1`, `%zz`) refuses the segment.
pub fn percent_decode(segment: &str) -> Option<String> {
    let hex = |b: u8| {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let mut out = Vec::with_capacity(segment.len());
    let mut bytes = segment.as_bytes().iter();
    while let Some(&b) = bytes.next() {
        let rest = bytes.as_slice();
        match (b, rest) {
            (b'%', [hi, lo, ..]) => {
                out.push(hex(*hi)? * 16 + hex(*lo)?);
                bytes.nth(1);
            }
            _ => out.push(b),
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-encodes text for a URL query value: everything but the unreserved
/// characters (`A-Z a-z 0-9 - . _ ~`) as `%XX` of its UTF-8 bytes.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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
        assert_eq!(percent_decode("%+1"), None, "not a hex pair");
        assert_eq!(percent_decode("%C3%A9t%C3%A9").as_deref(), Some("été"));
        assert_eq!(percent_decode("é%").as_deref(), Some("é%"));
        assert_eq!(percent_decode("%%41").as_deref(), None);
    }

    #[test]
    fn odd_urls_answer_without_panicking() {
        for url in [
            "",
            "é",
            "://",
            "https://",
            "https://é/é?é#é",
            "x://y",
            "/n/é.png",
        ] {
            let r = Request::new("GET", url);
            assert!(url.starts_with(r.origin()), "{url}");
            assert!(r.path().starts_with('/'), "{url}");
        }
        assert_eq!(Request::new("GET", "https://h/é?x").path(), "/é");
    }
}
