//! Redis command names: the statement a command is reported as (its name,
//! and for container commands the subcommand: never a key or a value), and
//! the names sonde knows, to recognise commands where the stream is picked
//! up.

use super::super::sql::Statement;

/// The longest command name kept.
pub(super) const MAX_NAME: usize = 32;

/// Core commands (Redis 7.4), sorted.
const COMMANDS: &[&str] = &[
    "ACL",
    "APPEND",
    "ASKING",
    "AUTH",
    "BGREWRITEAOF",
    "BGSAVE",
    "BITCOUNT",
    "BITFIELD",
    "BITFIELD_RO",
    "BITOP",
    "BITPOS",
    "BLMOVE",
    "BLMPOP",
    "BLPOP",
    "BRPOP",
    "BRPOPLPUSH",
    "BZMPOP",
    "BZPOPMAX",
    "BZPOPMIN",
    "CLIENT",
    "CLUSTER",
    "COMMAND",
    "CONFIG",
    "COPY",
    "DBSIZE",
    "DEBUG",
    "DECR",
    "DECRBY",
    "DEL",
    "DISCARD",
    "DUMP",
    "ECHO",
    "EVAL",
    "EVALSHA",
    "EVALSHA_RO",
    "EVAL_RO",
    "EXEC",
    "EXISTS",
    "EXPIRE",
    "EXPIREAT",
    "EXPIRETIME",
    "FAILOVER",
    "FCALL",
    "FCALL_RO",
    "FLUSHALL",
    "FLUSHDB",
    "FUNCTION",
    "GEOADD",
    "GEODIST",
    "GEOHASH",
    "GEOPOS",
    "GEORADIUS",
    "GEORADIUSBYMEMBER",
    "GEORADIUSBYMEMBER_RO",
    "GEORADIUS_RO",
    "GEOSEARCH",
    "GEOSEARCHSTORE",
    "GET",
    "GETBIT",
    "GETDEL",
    "GETEX",
    "GETRANGE",
    "GETSET",
    "HDEL",
    "HELLO",
    "HEXISTS",
    "HEXPIRE",
    "HEXPIREAT",
    "HEXPIRETIME",
    "HGET",
    "HGETALL",
    "HINCRBY",
    "HINCRBYFLOAT",
    "HKEYS",
    "HLEN",
    "HMGET",
    "HMSET",
    "HPERSIST",
    "HPEXPIRE",
    "HPEXPIREAT",
    "HPEXPIRETIME",
    "HPTTL",
    "HRANDFIELD",
    "HSCAN",
    "HSET",
    "HSETNX",
    "HSTRLEN",
    "HTTL",
    "HVALS",
    "INCR",
    "INCRBY",
    "INCRBYFLOAT",
    "INFO",
    "KEYS",
    "LASTSAVE",
    "LATENCY",
    "LCS",
    "LINDEX",
    "LINSERT",
    "LLEN",
    "LMOVE",
    "LMPOP",
    "LOLWUT",
    "LPOP",
    "LPOS",
    "LPUSH",
    "LPUSHX",
    "LRANGE",
    "LREM",
    "LSET",
    "LTRIM",
    "MEMORY",
    "MGET",
    "MIGRATE",
    "MODULE",
    "MONITOR",
    "MOVE",
    "MSET",
    "MSETNX",
    "MULTI",
    "OBJECT",
    "PERSIST",
    "PEXPIRE",
    "PEXPIREAT",
    "PEXPIRETIME",
    "PFADD",
    "PFCOUNT",
    "PFDEBUG",
    "PFMERGE",
    "PFSELFTEST",
    "PING",
    "PSETEX",
    "PSUBSCRIBE",
    "PSYNC",
    "PTTL",
    "PUBLISH",
    "PUBSUB",
    "PUNSUBSCRIBE",
    "QUIT",
    "RANDOMKEY",
    "READONLY",
    "READWRITE",
    "RENAME",
    "RENAMENX",
    "REPLCONF",
    "REPLICAOF",
    "RESET",
    "RESTORE",
    "RESTORE-ASKING",
    "ROLE",
    "RPOP",
    "RPOPLPUSH",
    "RPUSH",
    "RPUSHX",
    "SADD",
    "SAVE",
    "SCAN",
    "SCARD",
    "SCRIPT",
    "SDIFF",
    "SDIFFSTORE",
    "SELECT",
    "SET",
    "SETBIT",
    "SETEX",
    "SETNX",
    "SETRANGE",
    "SHUTDOWN",
    "SINTER",
    "SINTERCARD",
    "SINTERSTORE",
    "SISMEMBER",
    "SLAVEOF",
    "SLOWLOG",
    "SMEMBERS",
    "SMISMEMBER",
    "SMOVE",
    "SORT",
    "SORT_RO",
    "SPOP",
    "SPUBLISH",
    "SRANDMEMBER",
    "SREM",
    "SSCAN",
    "SSUBSCRIBE",
    "STRLEN",
    "SUBSCRIBE",
    "SUBSTR",
    "SUNION",
    "SUNIONSTORE",
    "SUNSUBSCRIBE",
    "SWAPDB",
    "SYNC",
    "TIME",
    "TOUCH",
    "TTL",
    "TYPE",
    "UNLINK",
    "UNSUBSCRIBE",
    "UNWATCH",
    "WAIT",
    "WAITAOF",
    "WATCH",
    "XACK",
    "XADD",
    "XAUTOCLAIM",
    "XCLAIM",
    "XDEL",
    "XGROUP",
    "XINFO",
    "XLEN",
    "XPENDING",
    "XRANGE",
    "XREAD",
    "XREADGROUP",
    "XREVRANGE",
    "XSETID",
    "XTRIM",
    "ZADD",
    "ZCARD",
    "ZCOUNT",
    "ZDIFF",
    "ZDIFFSTORE",
    "ZINCRBY",
    "ZINTER",
    "ZINTERCARD",
    "ZINTERSTORE",
    "ZLEXCOUNT",
    "ZMPOP",
    "ZMSCORE",
    "ZPOPMAX",
    "ZPOPMIN",
    "ZRANDMEMBER",
    "ZRANGE",
    "ZRANGEBYLEX",
    "ZRANGEBYSCORE",
    "ZRANGESTORE",
    "ZRANK",
    "ZREM",
    "ZREMRANGEBYLEX",
    "ZREMRANGEBYRANK",
    "ZREMRANGEBYSCORE",
    "ZREVRANGE",
    "ZREVRANGEBYLEX",
    "ZREVRANGEBYSCORE",
    "ZREVRANK",
    "ZSCAN",
    "ZSCORE",
    "ZUNION",
    "ZUNIONSTORE",
];

/// Container commands and their subcommands, sorted by command.
const SUBCOMMANDS: &[(&str, &[&str])] = &[
    (
        "ACL",
        &[
            "CAT", "DELUSER", "DRYRUN", "GENPASS", "GETUSER", "HELP", "LIST", "LOAD", "LOG",
            "SAVE", "SETUSER", "USERS", "WHOAMI",
        ],
    ),
    (
        "CLIENT",
        &[
            "CACHING",
            "GETNAME",
            "GETREDIR",
            "HELP",
            "ID",
            "INFO",
            "KILL",
            "LIST",
            "NO-EVICT",
            "NO-TOUCH",
            "PAUSE",
            "REPLY",
            "SETINFO",
            "SETNAME",
            "TRACKING",
            "TRACKINGINFO",
            "UNBLOCK",
            "UNPAUSE",
        ],
    ),
    (
        "CLUSTER",
        &[
            "ADDSLOTS",
            "ADDSLOTSRANGE",
            "BUMPEPOCH",
            "COUNT-FAILURE-REPORTS",
            "COUNTKEYSINSLOT",
            "DELSLOTS",
            "DELSLOTSRANGE",
            "FAILOVER",
            "FLUSHSLOTS",
            "FORGET",
            "GETKEYSINSLOT",
            "HELP",
            "INFO",
            "KEYSLOT",
            "LINKS",
            "MEET",
            "MYID",
            "MYSHARDID",
            "NODES",
            "REPLICAS",
            "REPLICATE",
            "RESET",
            "SAVECONFIG",
            "SET-CONFIG-EPOCH",
            "SETSLOT",
            "SHARDS",
            "SLAVES",
            "SLOTS",
        ],
    ),
    (
        "COMMAND",
        &[
            "COUNT",
            "DOCS",
            "GETKEYS",
            "GETKEYSANDFLAGS",
            "HELP",
            "INFO",
            "LIST",
        ],
    ),
    ("CONFIG", &["GET", "HELP", "RESETSTAT", "REWRITE", "SET"]),
    (
        "FUNCTION",
        &[
            "DELETE", "DUMP", "FLUSH", "HELP", "KILL", "LIST", "LOAD", "RESTORE", "STATS",
        ],
    ),
    (
        "LATENCY",
        &[
            "DOCTOR",
            "GRAPH",
            "HELP",
            "HISTOGRAM",
            "HISTORY",
            "LATEST",
            "RESET",
        ],
    ),
    (
        "MEMORY",
        &["DOCTOR", "HELP", "MALLOC-STATS", "PURGE", "STATS", "USAGE"],
    ),
    ("MODULE", &["HELP", "LIST", "LOAD", "LOADEX", "UNLOAD"]),
    (
        "OBJECT",
        &["ENCODING", "FREQ", "HELP", "IDLETIME", "REFCOUNT"],
    ),
    (
        "PUBSUB",
        &[
            "CHANNELS",
            "HELP",
            "NUMPAT",
            "NUMSUB",
            "SHARDCHANNELS",
            "SHARDNUMSUB",
        ],
    ),
    (
        "SCRIPT",
        &["DEBUG", "EXISTS", "FLUSH", "HELP", "KILL", "LOAD"],
    ),
    ("SLOWLOG", &["GET", "HELP", "LEN", "RESET"]),
    (
        "XGROUP",
        &[
            "CREATE",
            "CREATECONSUMER",
            "DELCONSUMER",
            "DESTROY",
            "HELP",
            "SETID",
        ],
    ),
    ("XINFO", &["CONSUMERS", "GROUPS", "HELP", "STREAM"]),
];

/// The uppercased name, when `raw` is shaped like a command name (letters,
/// digits, `.`, `_`, `-`, `|`; a letter first; at most 32 bytes).
pub(super) fn upper_name(raw: &[u8]) -> Option<String> {
    let first = raw.first()?;
    let shaped = raw.len() <= MAX_NAME
        && first.is_ascii_alphabetic()
        && raw
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'|'));
    shaped.then(|| String::from_utf8_lossy(raw).to_ascii_uppercase())
}

/// Whether `name` (uppercase) is a core command.
pub(super) fn is_known(name: &str) -> bool {
    COMMANDS.binary_search(&name).is_ok()
}

/// The statement a command is reported as: its name, with the
/// subcommand for container commands (`CLIENT SETNAME`) when `second` is
/// one; names not shaped like a command are reported as `UNKNOWN`.
pub(super) fn statement(name: &[u8], second: Option<&[u8]>) -> Statement {
    let mut text = upper_name(name).unwrap_or_else(|| "UNKNOWN".into());
    if let Some(sub) = second.and_then(|second| subcommand(&text, second)) {
        text.push(' ');
        text.push_str(sub);
    }
    Statement {
        summary: text.clone(),
        operation: Some(text.clone()),
        text,
        collection: None,
    }
}

/// `second` as a subcommand of `command`, if it is one.
fn subcommand(command: &str, second: &[u8]) -> Option<&'static str> {
    let index = SUBCOMMANDS
        .binary_search_by(|(name, _)| name.cmp(&command))
        .ok()?;
    let (_, subs) = SUBCOMMANDS.get(index)?;
    let second = upper_name(second)?;
    subs.iter().find(|sub| **sub == second).copied()
}

/// Whether `first` (the first bytes a client wrote on a connection, or of
/// any client write) starts with a command: an array of bulk strings
/// (`*2\r\n$3\r\nGET\r\n...`), or an inline command naming a known one
/// (`PING\r\n`) but not an HTTP request line (`GET / HTTP/1.1`).
pub fn looks_like_command(first: &[u8]) -> bool {
    if let Some(rest) = first.strip_prefix(b"*") {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let rest = rest.get(digits..).unwrap_or_default();
        return (1..=10).contains(&digits)
            && matches!(
                rest,
                [] | [b'\r'] | [b'\r', b'\n'] | [b'\r', b'\n', b'$', ..]
            );
    }
    let word_len = first
        .iter()
        .take_while(|b| b.is_ascii_alphabetic() || **b == b'_' || **b == b'-')
        .count();
    let (word, rest) = first.split_at(word_len);
    let line = rest.split(|&b| b == b'\n').next().unwrap_or_default();
    let http = line.windows(6).any(|window| window == b" HTTP/");
    !http
        && matches!(rest.first(), Some(b' ' | b'\r' | b'\n'))
        && upper_name(word).is_some_and(|name| is_known(&name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted() {
        assert!(COMMANDS.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(SUBCOMMANDS.windows(2).all(|pair| pair[0].0 < pair[1].0));
        for (command, subs) in SUBCOMMANDS {
            assert!(is_known(command), "{command}");
            assert!(subs.windows(2).all(|pair| pair[0] < pair[1]), "{command}");
        }
    }

    #[test]
    fn statements_name_commands_and_subcommands_only() {
        assert_eq!(statement(b"get", Some(b"user:1")).text, "GET");
        assert_eq!(
            statement(b"client", Some(b"setname")).text,
            "CLIENT SETNAME"
        );
        assert_eq!(statement(b"CONFIG", Some(b"GET")).text, "CONFIG GET");
        assert_eq!(statement(b"object", Some(b"secret")).text, "OBJECT");
        assert_eq!(statement(b"JSON.SET", Some(b"k")).text, "JSON.SET");
        assert_eq!(statement(b"p4ss word", None).text, "UNKNOWN");
        assert_eq!(statement(b"", None).text, "UNKNOWN");
        let get = statement(b"get", None);
        assert_eq!(get.summary, "GET");
        assert_eq!(get.operation.as_deref(), Some("GET"));
        assert_eq!(get.collection, None);
    }

    #[test]
    fn commands_are_recognised() {
        assert!(looks_like_command(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"));
        assert!(looks_like_command(b"*1\r\n"));
        assert!(looks_like_command(b"PING\r\n"));
        assert!(looks_like_command(b"get key\r\n"));
        assert!(!looks_like_command(b"GET / HTTP/1.1\r\n"));
        assert!(!looks_like_command(b"hello"));
        assert!(!looks_like_command(b"FOO bar\r\n"));
        assert!(!looks_like_command(b"*x\r\n"));
        assert!(!looks_like_command(b"+OK\r\n"));
        assert!(!looks_like_command(b"\x16\x03\x01"));
        assert!(!looks_like_command(b""));
    }
}
