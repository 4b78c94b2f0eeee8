//! Brings the loopback device up in a fresh network namespace with one rtnetlink request
//! (what `ip link set lo up` sends), so the launcher needs neither `ip` nor `unsafe`.

use std::os::fd::AsRawFd;

use nix::sys::socket::{
    AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol, SockType, bind, recv, send,
    socket,
};

const RTM_NEWLINK: u16 = 16;
const NLMSG_ERROR: u16 = 2;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_ACK: u16 = 4;
const IFF_UP: u32 = 1;

/// The request: a netlink header then an `ifinfomsg` setting IFF_UP on `index`.
fn request(index: u32) -> Vec<u8> {
    let mut msg = Vec::with_capacity(32);
    msg.extend_from_slice(&32u32.to_ne_bytes());
    msg.extend_from_slice(&RTM_NEWLINK.to_ne_bytes());
    msg.extend_from_slice(&(NLM_F_REQUEST | NLM_F_ACK).to_ne_bytes());
    msg.extend_from_slice(&1u32.to_ne_bytes()); // sequence number
    msg.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel fills it in
    msg.push(0); // AF_UNSPEC
    msg.push(0); // padding
    msg.extend_from_slice(&0u16.to_ne_bytes()); // device type
    msg.extend_from_slice(&index.to_ne_bytes());
    msg.extend_from_slice(&IFF_UP.to_ne_bytes()); // flags
    msg.extend_from_slice(&IFF_UP.to_ne_bytes()); // change mask
    msg
}

pub fn loopback_up() -> Result<(), String> {
    let index = nix::net::if_::if_nametoindex("lo").map_err(|e| format!("no `lo`: {e}"))?;
    let fd = socket(
        AddressFamily::Netlink,
        SockType::Raw,
        SockFlag::SOCK_CLOEXEC,
        SockProtocol::NetlinkRoute,
    )
    .map_err(|e| format!("netlink socket: {e}"))?;
    bind(fd.as_raw_fd(), &NetlinkAddr::new(0, 0)).map_err(|e| format!("netlink bind: {e}"))?;
    send(fd.as_raw_fd(), &request(index), MsgFlags::empty())
        .map_err(|e| format!("netlink send: {e}"))?;
    let mut buf = [0u8; 256];
    let n = recv(fd.as_raw_fd(), &mut buf, MsgFlags::empty())
        .map_err(|e| format!("netlink receive: {e}"))?;
    ack(&buf[..n])
}

/// The kernel's answer is an NLMSG_ERROR whose code is 0 for success or a negative errno.
fn ack(reply: &[u8]) -> Result<(), String> {
    let field = |at: usize, len: usize| reply.get(at..at + len);
    let kind = field(4, 2).map(|b| u16::from_ne_bytes([b[0], b[1]]));
    let code = field(16, 4).map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
    match (kind, code) {
        (Some(NLMSG_ERROR), Some(0)) => Ok(()),
        (Some(NLMSG_ERROR), Some(code)) => Err(format!(
            "the kernel refused: {}",
            nix::errno::Errno::from_raw(-code)
        )),
        _ => Err("an unexpected netlink answer".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_one_header_and_one_ifinfomsg() {
        let msg = request(1);
        assert_eq!(msg.len(), 32);
        assert_eq!(u32::from_ne_bytes(msg[0..4].try_into().unwrap()), 32);
        assert_eq!(u32::from_ne_bytes(msg[20..24].try_into().unwrap()), 1);
    }

    #[test]
    fn an_error_code_is_reported() {
        let mut reply = vec![0u8; 20];
        reply[4..6].copy_from_slice(&NLMSG_ERROR.to_ne_bytes());
        assert!(ack(&reply).is_ok());
        reply[16..20].copy_from_slice(&(-1i32).to_ne_bytes());
        assert!(ack(&reply).unwrap_err().contains("refused"));
        assert!(ack(&[0u8; 3]).is_err());
    }
}
