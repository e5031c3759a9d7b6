//! Names of the errno values a connection can fail with.

/// `ECONNREFUSED` for 111, ...; `errno N` for values without a name here.
pub fn name(errno: i32) -> String {
    let name = match errno {
        libc::ECONNREFUSED => "ECONNREFUSED",
        libc::ETIMEDOUT => "ETIMEDOUT",
        libc::ECONNRESET => "ECONNRESET",
        libc::ECONNABORTED => "ECONNABORTED",
        libc::EHOSTUNREACH => "EHOSTUNREACH",
        libc::ENETUNREACH => "ENETUNREACH",
        libc::EHOSTDOWN => "EHOSTDOWN",
        libc::ENETDOWN => "ENETDOWN",
        libc::EPIPE => "EPIPE",
        libc::EACCES => "EACCES",
        libc::EPERM => "EPERM",
        libc::EPROTO => "EPROTO",
        _ => return format!("errno {errno}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_common_errors() {
        assert_eq!(super::name(111), "ECONNREFUSED");
        assert_eq!(super::name(110), "ETIMEDOUT");
        assert_eq!(super::name(4242), "errno 4242");
    }
}
