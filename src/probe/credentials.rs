//! Credential-shaped values in text: known token formats, private key blocks, and
//! `KEY=value` pairs whose key names a secret and whose value is long and random-looking.

use crate::entropy::entropy;

/// Known prefixes: (prefix, least length of the whole token, what it is).
const FORMATS: &[(&str, usize, &str)] = &[
    ("AKIA", 20, "an AWS access key id"),
    ("ASIA", 20, "an AWS temporary access key id"),
    ("ghp_", 40, "a GitHub token"),
    ("gho_", 40, "a GitHub token"),
    ("ghu_", 40, "a GitHub token"),
    ("ghs_", 40, "a GitHub token"),
    ("ghr_", 40, "a GitHub token"),
    ("github_pat_", 40, "a GitHub token"),
    ("glpat-", 26, "a GitLab token"),
    ("xoxb-", 24, "a Slack token"),
    ("xoxp-", 24, "a Slack token"),
    ("sk-ant-", 40, "an Anthropic API key"),
    ("sk-proj-", 40, "an OpenAI API key"),
    ("sk-", 40, "an API secret key"),
    ("sk_live_", 24, "a Stripe secret key"),
    ("AIza", 39, "a Google API key"),
];

/// Words in a key that say its value is secret.
const SECRET_KEYS: &[&str] = &[
    "key",
    "token",
    "secret",
    "password",
    "passwd",
    "pwd",
    "credential",
    "auth",
];

/// Values that are placeholders, not secrets.
const PLACEHOLDERS: &[&str] = &[
    "xxxx", "your", "example", "changeme", "redacted", "<", "${", "***",
];

/// (what it is, the value) for each credential-shaped value in `text`.
pub fn find(text: &str) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let mut push = |kind: &'static str, v: &str| {
        if !out.iter().any(|(_, o)| o == v) {
            out.push((kind, v.to_string()));
        }
    };
    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || "_-".contains(c))) {
        if let Some((_, _, kind)) = FORMATS.iter().find(|(p, min, _)| {
            word.starts_with(p) && word.len() >= *min && random(&word[p.len()..])
        }) {
            push(kind, word);
        }
    }
    if let Some(at) = text.find("-----BEGIN ")
        && text[at..]
            .lines()
            .next()
            .is_some_and(|l| l.contains("PRIVATE KEY-----"))
    {
        push("a private key", text[at..].lines().next().unwrap_or(""));
    }
    for line in text.lines() {
        if let Some(v) = secret_assignment(line) {
            push("a secret-named value with high entropy", v);
        }
    }
    out
}

/// `NAME = value`, `NAME: value` or `"name": "value"` with a secret-named key and a value
/// that is long, one word, and random-looking.
fn secret_assignment(line: &str) -> Option<&str> {
    let at = line.find(['=', ':'])?;
    let key = line[..at]
        .trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .next()?
        .to_ascii_lowercase();
    if key.is_empty() || !SECRET_KEYS.iter().any(|k| key.contains(k)) {
        return None;
    }
    let value = line[at + 1..]
        .trim()
        .trim_end_matches([',', ';', '}'])
        .trim()
        .trim_matches(|c| c == '"' || c == '\'');
    let lower = value.to_ascii_lowercase();
    let plain = value.len() >= 16
        && !value.contains(char::is_whitespace)
        && !PLACEHOLDERS.iter().any(|p| lower.contains(p));
    (plain && entropy(value) >= 3.5).then_some(value)
}

/// Mixed character classes and no long run: not a word, not a repeated filler.
fn random(s: &str) -> bool {
    let digits = s.chars().any(|c| c.is_ascii_digit());
    let letters = s.chars().any(|c| c.is_ascii_alphabetic());
    digits && letters && entropy(s) >= 3.0
}

#[cfg(test)]
mod tests {
    use super::find;

    #[test]
    fn known_formats_and_random_secret_values_are_found() {
        let kinds = |t: &str| find(t).into_iter().map(|(k, _)| k).collect::<Vec<_>>();
        assert_eq!(
            kinds("token ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"),
            ["a GitHub token"]
        );
        assert_eq!(kinds("id AKIAIOSFODNN7EXAMPL3"), ["an AWS access key id"]);
        assert_eq!(
            kinds("DB_PASSWORD=q8Zr2LmX0vTe7NpWk4Ys"),
            ["a secret-named value with high entropy"]
        );
        assert_eq!(
            kinds("{\"api_key\": \"f3K9zQ1mW8xR4tY7uI2o\"}"),
            ["a secret-named value with high entropy"]
        );
        assert_eq!(
            kinds("-----BEGIN RSA PRIVATE KEY-----\nabc"),
            ["a private key"]
        );
    }

    #[test]
    fn words_placeholders_and_ordinary_settings_are_not() {
        for quiet in [
            "API_KEY=<your key here>",
            "password: changeme-changeme-changeme",
            "sort_key=name",
            "token=aaaaaaaaaaaaaaaaaaaaaaaa",
            "the key: a long sentence with words",
            "commit 3f2a1b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a",
            "skeleton sk-learn-is-a-python-library",
            "Authorization header required",
        ] {
            assert!(find(quiet).is_empty(), "{quiet}: {:?}", find(quiet));
        }
    }
}
