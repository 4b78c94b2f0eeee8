//! Shannon entropy of a string, shared by `check` (credential-shaped literals) and `probe`
//! (credential-shaped values in replies).

/// Bits per character.
pub fn entropy(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let n = s.chars().count() as f64;
    counts
        .values()
        .map(|&k| {
            let p = k as f64 / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    #[test]
    fn repeated_characters_carry_nothing_and_distinct_ones_carry_more() {
        assert_eq!(super::entropy("aaaa"), 0.0);
        assert_eq!(super::entropy("abcd"), 2.0);
    }
}
