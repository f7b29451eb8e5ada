//! `exec`'s string form is split into words like a shell would, but runs
//! without a shell: `|`, `;`, `>` or `$HOME` would reach the program as
//! plain words. This finds such shell syntax so `exec` can refuse it and
//! point at `sh(ctr, "…")`, which runs the text with `sh -c`.

/// The first piece of shell syntax in `text` that a shell would act on
/// (outside quotes, or `$`/`` ` `` inside double quotes), as it is written:
/// `|`, `&&`, `;`, `>`, `$(`, `$HOME`, … `None` when the text is plain words.
pub(crate) fn shell_syntax(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    // Inside '…' nothing is special; inside "…" only $, ` and \.
    let (mut single, mut double) = (false, false);
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '\'' if !double => single = !single,
            _ if single => {}
            '\\' => i += 1,
            '"' => double = !double,
            '`' => return Some("`".into()),
            '$' => match next {
                Some('(') => return Some("$(".into()),
                Some('{') => return Some("${".into()),
                Some(n) if n.is_ascii_alphanumeric() || "_?#@*!$".contains(n) => {
                    let var: String = chars[i + 1..]
                        .iter()
                        .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                        .collect();
                    return Some(format!(
                        "${}",
                        if var.is_empty() { n.to_string() } else { var }
                    ));
                }
                _ => {}
            },
            _ if double => {}
            '|' | '&' | ';' | '<' | '>' => {
                let mut op = c.to_string();
                if let Some(n) = next.filter(|n| "|&>".contains(*n)) {
                    op.push(n);
                }
                return Some(op);
            }
            '(' | ')' => return Some(c.to_string()),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The error for `exec`'s string form holding shell syntax: what it found,
/// why it matters, and the two ways out.
pub(crate) fn refusal(text: &str, found: &str) -> String {
    format!(
        "the command {text:?} contains shell syntax ({found}), but exec runs it without a shell, \
         so {found:?} would reach the program as a plain word; for a shell use \
         sh(ctr, {text:?}), to pass it as a word use an array like [\"echo\", {found:?}]"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_a_shell_would_act_on() {
        for (text, found) in [
            ("echo hi | wc -c", "|"),
            ("true && false", "&&"),
            ("sleep 1 &", "&"),
            ("a; b", ";"),
            ("echo x > /tmp/f", ">"),
            ("echo x >> /tmp/f", ">>"),
            ("cat < /etc/hosts", "<"),
            ("echo $HOME", "$HOME"),
            ("echo \"$HOME\"", "$HOME"),
            ("echo $(hostname)", "$("),
            ("echo `hostname`", "`"),
            ("echo $?", "$?"),
            ("(cd /; ls)", "("),
        ] {
            assert_eq!(shell_syntax(text).as_deref(), Some(found), "{text}");
        }
    }

    #[test]
    fn quoted_and_escaped_text_is_plain() {
        for text in [
            "echo 'a | b' \"c;d\"",
            "echo \\| \\;",
            "grep -E 'a|b' /etc/hosts",
            "wget -qO- http://web:80/",
            "echo 100% 5$",
            "ls -la /tmp",
            "echo '$HOME'",
        ] {
            assert_eq!(shell_syntax(text), None, "{text}");
        }
    }

    #[test]
    fn the_refusal_shows_both_ways_out() {
        let text = refusal("echo hi | wc -c", "|");
        assert!(text.contains("sh(ctr, \"echo hi | wc -c\")"), "{text}");
        assert!(text.contains("[\"echo\", \"|\"]"), "{text}");
    }
}
