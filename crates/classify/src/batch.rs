//! Batch mode for the `ringmark classify` CLI: lines of User-Agents (or `user_agent<TAB>headers-json`) in, one
//! JSON object per line out. Also converts a headers-JSON object into [`Signals`] inputs, which the
//! conformance report shares.

use crate::{Classification, Classifier, Signals};
use serde::Serialize;
use std::io::{BufRead, Write};
use std::net::IpAddr;

/// Header pairs and request facts decoded from a headers-JSON object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeaderFacts {
    /// Header name/value pairs, as strings.
    pub headers: Vec<(String, String)>,
    /// `_remote_ip`, when present and parseable.
    pub ip: Option<IpAddr>,
}

impl HeaderFacts {
    /// Signals for `user_agent` borrowing these headers.
    pub fn signals<'a>(&'a self, user_agent: &'a str) -> Signals<'a> {
        let mut s = Signals::from_headers(
            user_agent,
            self.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
        s.ip = self.ip;
        s
    }
}

/// Decodes a headers-JSON object. Strings are taken as is; booleans become `?1`/`?0` (client-hint form);
/// numbers their decimal text. The `navigator.userAgentData` names `mobile`, `model`, `platform` are mapped to
/// their `Sec-CH-UA-*` headers. Keys starting with `_` are request facts: `_remote_ip` fills the IP; others are
/// ignored. Empty or non-object input gives no headers.
pub fn signals_from_json(json: &str) -> HeaderFacts {
    let mut out = HeaderFacts::default();
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(json) else {
        return out;
    };
    for (key, value) in map {
        let text = match value {
            serde_json::Value::String(s) => s,
            serde_json::Value::Bool(b) => if b { "?1" } else { "?0" }.to_string(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => continue,
        };
        if key == "_remote_ip" {
            out.ip = text.trim().parse().ok();
            continue;
        }
        if key.starts_with('_') {
            continue;
        }
        let name = match key.as_str() {
            "mobile" => "Sec-CH-UA-Mobile".to_string(),
            "model" => "Sec-CH-UA-Model".to_string(),
            "platform" => "Sec-CH-UA-Platform".to_string(),
            _ => key,
        };
        out.headers.push((name, text));
    }
    out
}

#[derive(Serialize)]
struct Row<'a> {
    line: u64,
    user_agent: &'a str,
    #[serde(flatten)]
    classification: &'a Classification,
}

#[derive(Serialize)]
struct Skipped {
    line: u64,
    skipped: &'static str,
}

/// Something about an input line the operator should hear of (the CLI prints it on stderr).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineNote {
    /// The line was classified after a repair.
    Repaired {
        /// 1-based line number.
        line: u64,
        /// What was repaired.
        why: &'static str,
    },
    /// The line could not be classified; its output line says so.
    Skipped {
        /// 1-based line number.
        line: u64,
        /// Why.
        why: &'static str,
    },
}

/// Reads lines of User-Agents, or TSV `user_agent<TAB>headers-json`, and writes one JSON object per
/// input line: the [`Classification`] with the input `user_agent` and its `line` number, or
/// `{"line": n, "skipped": why}` for a line that cannot be classified (an empty one). Access logs
/// carry broken bytes, so a batch never stops on a line: invalid UTF-8 is replaced (U+FFFD) and a
/// headers column that is not a JSON object is ignored, each reported through `note`. Calls
/// `progress(lines_done)` every 10 000 lines. Returns the number of lines read.
pub fn classify_lines<R: BufRead, W: Write>(
    classifier: &Classifier,
    mut input: R,
    mut output: W,
    progress: &mut dyn FnMut(u64),
    note: &mut dyn FnMut(LineNote),
) -> std::io::Result<u64> {
    let mut done: u64 = 0;
    let mut bytes = Vec::new();
    loop {
        bytes.clear();
        if input.read_until(b'\n', &mut bytes)? == 0 {
            break;
        }
        done += 1;
        let text = String::from_utf8_lossy(&bytes);
        if matches!(text, std::borrow::Cow::Owned(_)) {
            note(LineNote::Repaired {
                line: done,
                why: "invalid UTF-8 replaced with U+FFFD",
            });
        }
        let line = text.trim_end_matches(['\r', '\n']);
        if line.trim().is_empty() {
            note(LineNote::Skipped {
                line: done,
                why: "empty line",
            });
            serde_json::to_writer(
                &mut output,
                &Skipped {
                    line: done,
                    skipped: "empty line",
                },
            )?;
        } else {
            let (ua, json) = line.split_once('\t').unwrap_or((line, ""));
            let facts = match headers_json(json) {
                Some(facts) => facts,
                None => {
                    note(LineNote::Repaired {
                        line: done,
                        why: "headers column is not a JSON object: classified the User-Agent alone",
                    });
                    HeaderFacts::default()
                }
            };
            let c = classifier.classify(&facts.signals(ua));
            let row = Row {
                line: done,
                user_agent: ua,
                classification: &c,
            };
            serde_json::to_writer(&mut output, &row)?;
        }
        output.write_all(b"\n")?;
        if done.is_multiple_of(10_000) {
            progress(done);
        }
    }
    output.flush()?;
    Ok(done)
}

/// The headers column: empty is no headers; otherwise it must be a JSON object.
fn headers_json(json: &str) -> Option<HeaderFacts> {
    if json.trim().is_empty() {
        return Some(HeaderFacts::default());
    }
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::Object(_)) => Some(signals_from_json(json)),
        _ => None,
    }
}
