//! Reading the server's output a line at a time with a bound: a line longer than the cap is
//! read to its end and thrown away, never kept whole in memory.

use std::io::{BufRead, ErrorKind};

/// The longest stdout line (one JSON-RPC message) the probe keeps.
pub const MAX_MESSAGE: usize = 16 << 20;

/// How one read ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// The stream ended with nothing left.
    Eof,
    /// A whole line is in the buffer, without its newline.
    Whole,
    /// The line was longer than the cap: the buffer holds its first `cap` bytes, `total` is
    /// how many bytes it had up to its newline or the end of the stream.
    Cut { total: u64 },
}

/// Reads one line into `buf` (cleared first), keeping at most `cap` bytes. `on_cut` runs once,
/// as soon as the line passes the cap, so the caller hears of it before the line ends (a
/// server may send gigabytes without a newline).
pub fn read_bounded(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    cap: usize,
    on_cut: &mut dyn FnMut(),
) -> std::io::Result<Line> {
    buf.clear();
    let mut total: u64 = 0;
    let mut cut = false;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(match (total, cut) {
                (0, _) => Line::Eof,
                (_, false) => Line::Whole,
                (_, true) => Line::Cut { total },
            });
        }
        let (used, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(at) => (at + 1, true),
            None => (chunk.len(), false),
        };
        let body = if done { &chunk[..used - 1] } else { chunk };
        let room = cap.saturating_sub(buf.len());
        buf.extend_from_slice(&body[..body.len().min(room)]);
        total += body.len() as u64;
        if !cut && total > cap as u64 {
            cut = true;
            on_cut();
        }
        reader.consume(used);
        if done {
            return Ok(if cut {
                Line::Cut { total }
            } else {
                Line::Whole
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], cap: usize) -> Vec<(Line, Vec<u8>, usize)> {
        let mut reader = std::io::BufReader::with_capacity(4, input);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            let mut cuts = 0;
            let line = read_bounded(&mut reader, &mut buf, cap, &mut || cuts += 1).unwrap();
            if line == Line::Eof {
                return out;
            }
            out.push((line, buf.clone(), cuts));
        }
    }

    #[test]
    fn short_lines_are_whole_and_long_ones_are_cut_once() {
        let got = lines(b"ab\nabcdefghij\nc", 5);
        assert_eq!(got[0], (Line::Whole, b"ab".to_vec(), 0));
        assert_eq!(got[1], (Line::Cut { total: 10 }, b"abcde".to_vec(), 1));
        assert_eq!(got[2], (Line::Whole, b"c".to_vec(), 0));
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn a_line_without_newline_is_cut_at_the_end_of_the_stream() {
        let got = lines(&[b'x'; 100], 8);
        assert_eq!(got, vec![(Line::Cut { total: 100 }, vec![b'x'; 8], 1)]);
    }

    #[test]
    fn an_empty_line_is_a_line() {
        let got = lines(b"\n\n", 8);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, Line::Whole);
    }
}
