//! What the SDK itself has to say when no tool call can carry it (the kernel is
//! gone, a handler panicked): one JSON line on stderr, which the kernel's
//! logger keeps at its level (docs/protocol.md, "Start and handshake").

pub(crate) fn log_stderr(level: &str, msg: &str, fields: &[(&str, &str)]) {
    eprintln!("{}", json_line(level, msg, fields));
}

fn json_line(level: &str, msg: &str, fields: &[(&str, &str)]) -> String {
    let mut line = format!("{{\"level\":{},\"msg\":{}", quote(level), quote(msg));
    for (key, value) in fields {
        line += &format!(",{}:{}", quote(key), quote(value));
    }
    line + "}"
}

fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_are_json() {
        let line = super::json_line("warn", "a \"b\"\n", &[("pid", "7")]);
        assert_eq!(line, r#"{"level":"warn","msg":"a \"b\"\u000a","pid":"7"}"#);
    }
}
