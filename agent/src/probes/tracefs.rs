//! tracefs: where it is mounted, and the field layout of the tracepoints the
//! kernel programs read.
//!
//! Field offsets come from each tracepoint's `format` file, never from guesses:
//! they change between kernel versions and configurations.

use std::{
    ffi::CString,
    fs, io,
    os::unix::ffi::OsStrExt,
    path::{Path, PathBuf},
};

use sonde_common::{TracepointFields, FIELD_ABSENT};

/// Where sonde mounts tracefs when nothing else has.
pub const TRACEFS_MOUNT_POINT: &str = "/sys/kernel/tracing";

/// The legacy location, under debugfs.
const DEBUGFS_TRACING: &str = "/sys/kernel/debug/tracing";

/// A format file larger than this is not a format file.
const MAX_FORMAT_LEN: u64 = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum TracefsError {
    #[error(
        "tracefs is not mounted and mounting it at {TRACEFS_MOUNT_POINT} failed: {source} \
         (mount it with `mount -t tracefs tracefs {TRACEFS_MOUNT_POINT}`)"
    )]
    Mount {
        #[source]
        source: io::Error,
    },
    #[error("tracepoint {tracepoint} does not exist in this kernel ({path})")]
    MissingTracepoint { tracepoint: String, path: PathBuf },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot parse {path}: {source}")]
    Format {
        path: PathBuf,
        #[source]
        source: FormatError,
    },
    #[error("tracepoint {tracepoint} has no field `{field}`")]
    MissingField { tracepoint: String, field: String },
}

/// Why a `format` file could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("line {line}: {reason}")]
    BadField { line: usize, reason: String },
    #[error("no fields")]
    NoFields,
}

/// One field of a tracepoint record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The C name, without any array suffix (`saddr` for `__u8 saddr[4]`).
    pub name: String,
    /// The C type as written, including array suffixes (`__u8[4]`) and
    /// `__data_loc` markers (`__data_loc char[]`).
    pub c_type: String,
    /// Byte offset in the record.
    pub offset: u32,
    /// Size in bytes (for `__data_loc` fields: of the 32-bit locator).
    pub size: u32,
    pub signed: bool,
}

impl Field {
    /// Whether the record holds a `u16 offset | u16 length << 16` locator
    /// rather than the data itself.
    pub fn is_data_loc(&self) -> bool {
        self.c_type.starts_with("__data_loc")
    }
}

/// A parsed `format` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format {
    /// The fields in record order, common fields (`common_pid`, ...) included.
    pub fields: Vec<Field>,
}

impl Format {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// Where tracefs is, and whether this process mounted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracefs {
    pub path: PathBuf,
    pub mounted_by_us: bool,
}

/// Derefs to the mount point, so `&Tracefs` can be passed where a `&Path` is expected.
impl std::ops::Deref for Tracefs {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.path
    }
}

/// The tracefs mount point, mounting tracefs at [`TRACEFS_MOUNT_POINT`] when
/// it is mounted nowhere.
pub fn ensure_tracefs() -> Result<Tracefs, TracefsError> {
    if let Some(path) = find_tracefs() {
        return Ok(Tracefs {
            path,
            mounted_by_us: false,
        });
    }
    match mount_tracefs(Path::new(TRACEFS_MOUNT_POINT)) {
        Ok(()) => Ok(Tracefs {
            path: PathBuf::from(TRACEFS_MOUNT_POINT),
            mounted_by_us: true,
        }),
        // Someone else may have mounted it meanwhile.
        Err(source) => find_tracefs()
            .map(|path| Tracefs {
                path,
                mounted_by_us: false,
            })
            .ok_or(TracefsError::Mount { source }),
    }
}

/// The tracefs mount point, if tracefs is mounted; does not mount anything.
pub fn find_tracefs() -> Option<PathBuf> {
    if let Ok(mounts) = fs::read_to_string("/proc/self/mounts") {
        if let Some(path) = tracefs_in_mounts(&mounts) {
            return Some(path);
        }
    }
    // Not listed (e.g. the debugfs automount has not been triggered yet):
    // accept a known location that has the tracing layout.
    [TRACEFS_MOUNT_POINT, DEBUGFS_TRACING]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.join("events").is_dir())
}

/// The preferred tracefs mount point listed in a `/proc/self/mounts` text.
pub fn tracefs_in_mounts(mounts: &str) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = mounts
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let (_source, target, fstype) = (parts.next()?, parts.next()?, parts.next()?);
            (fstype == "tracefs").then(|| PathBuf::from(unescape_mount_path(target)))
        })
        .collect();
    let rank = |p: &PathBuf| match p.to_str() {
        Some(TRACEFS_MOUNT_POINT) => 0,
        Some(DEBUGFS_TRACING) => 1,
        _ => 2,
    };
    found.sort_by_key(rank);
    found.into_iter().next()
}

/// `/proc/self/mounts` escapes space, tab, newline and backslash as `\ooo`.
fn unescape_mount_path(escaped: &str) -> String {
    let bytes = escaped.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match octal.and_then(|d| u8::from_str_radix(std::str::from_utf8(d).ok()?, 8).ok()) {
            Some(byte) => {
                out.push(byte);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn mount_tracefs(target: &Path) -> io::Result<()> {
    let target = CString::new(target.as_os_str().as_bytes())?;
    // SAFETY: every pointer is a valid NUL-terminated string; data may be NULL.
    let rc = unsafe {
        libc::mount(
            c"tracefs".as_ptr(),
            target.as_ptr(),
            c"tracefs".as_ptr(),
            libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
            std::ptr::null(),
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Parses the text of an `events/<category>/<name>/format` file.
pub fn parse_format(text: &str) -> Result<Format, FormatError> {
    let mut fields = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        // `field special:` appears on old kernels for the common fields.
        let declaration = match line
            .strip_prefix("field:")
            .or_else(|| line.strip_prefix("field special:"))
        {
            Some(rest) => rest,
            None => continue,
        };
        let bad = |reason: String| FormatError::BadField {
            line: index + 1,
            reason,
        };
        fields.push(parse_field(declaration).map_err(bad)?);
    }
    if fields.is_empty() {
        return Err(FormatError::NoFields);
    }
    Ok(Format { fields })
}

/// `const void * skaddr;\toffset:8;\tsize:8;\tsigned:0;` (after `field:`).
fn parse_field(text: &str) -> Result<Field, String> {
    let mut parts = text.split(';').map(str::trim);
    let declaration = parts.next().unwrap_or_default();
    let (mut offset, mut size, mut signed) = (None, None, None);
    for part in parts.filter(|p| !p.is_empty()) {
        let (key, value) = part
            .split_once(':')
            .ok_or_else(|| format!("expected `key:value`, found `{part}`"))?;
        let number = || {
            value
                .trim()
                .parse::<u32>()
                .map_err(|e| format!("bad {key} `{value}`: {e}"))
        };
        match key.trim() {
            "offset" => offset = Some(number()?),
            "size" => size = Some(number()?),
            "signed" => signed = Some(number()? != 0),
            _ => {} // Unknown attributes are ignored: newer kernels may add some.
        }
    }
    let (name, c_type) = split_declaration(declaration)?;
    Ok(Field {
        name,
        c_type,
        offset: offset.ok_or("no offset")?,
        size: size.ok_or("no size")?,
        signed: signed.unwrap_or(false),
    })
}

/// Splits `__u8 saddr[4]` into (`saddr`, `__u8[4]`) and
/// `__data_loc char[] filename` into (`filename`, `__data_loc char[]`).
fn split_declaration(declaration: &str) -> Result<(String, String), String> {
    // Array dimensions follow the name; strip them from the end.
    let mut base = declaration.trim();
    let mut dimensions = Vec::new();
    while base.ends_with(']') {
        let open = base
            .rfind('[')
            .ok_or_else(|| format!("unbalanced `]` in `{declaration}`"))?;
        dimensions.push(&base[open..]);
        base = base[..open].trim_end();
    }
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let name_start = base.rfind(|c: char| !is_ident(c)).map_or(0, |i| i + 1);
    let name = &base[name_start..];
    let c_type = base[..name_start].trim();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!("no field name in `{declaration}`"));
    }
    if c_type.is_empty() {
        return Err(format!("no type in `{declaration}`"));
    }
    dimensions.reverse();
    Ok((name.to_owned(), format!("{c_type}{}", dimensions.concat())))
}

/// Reads and parses `events/<category>/<name>/format` under `tracefs`.
pub fn read_format(tracefs: &Path, category: &str, name: &str) -> Result<Format, TracefsError> {
    let path = tracefs
        .join("events")
        .join(category)
        .join(name)
        .join("format");
    let text = match read_bounded(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(TracefsError::MissingTracepoint {
                tracepoint: format!("{category}/{name}"),
                path,
            })
        }
        Err(source) => return Err(TracefsError::Read { path, source }),
    };
    parse_format(&text).map_err(|source| TracefsError::Format { path, source })
}

fn read_bounded(path: &Path) -> io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    fs::File::open(path)?
        .take(MAX_FORMAT_LEN)
        .read_to_string(&mut text)?;
    Ok(text)
}

/// Offsets of every tracepoint field the kernel programs read, from the
/// `format` files under `tracefs`.
pub fn tracepoint_fields(tracefs: &Path) -> Result<TracepointFields, TracefsError> {
    fields_from(|category, name| read_format(tracefs, category, name))
}

/// [`tracepoint_fields`] over any source of formats (tests use recorded ones).
fn fields_from(
    mut format: impl FnMut(&str, &str) -> Result<Format, TracefsError>,
) -> Result<TracepointFields, TracefsError> {
    let mut tracepoint = |category: &'static str, name: &'static str| {
        format(category, name).map(|format| Tracepoint {
            name: format!("{category}/{name}"),
            format,
        })
    };

    let exec = tracepoint("sched", "sched_process_exec")?;
    let exit = tracepoint("sched", "sched_process_exit")?;

    Ok(TracepointFields {
        exec_filename: exec.data_loc_offset("filename")?,
        // Older kernels lack it; the programs then use the leader's exit.
        exit_group_dead: exit.offset("group_dead").unwrap_or(FIELD_ABSENT),
    })
}

/// A parsed format with the tracepoint's name, for error messages.
struct Tracepoint {
    name: String,
    format: Format,
}

impl Tracepoint {
    fn field(&self, field: &str) -> Result<&Field, TracefsError> {
        self.format
            .field(field)
            .ok_or_else(|| TracefsError::MissingField {
                tracepoint: self.name.clone(),
                field: field.to_owned(),
            })
    }

    fn offset(&self, field: &str) -> Result<u32, TracefsError> {
        self.field(field).map(|f| f.offset)
    }

    /// The offset of a `__data_loc` field; any other kind is a layout the
    /// kernel programs do not understand.
    fn data_loc_offset(&self, field: &str) -> Result<u32, TracefsError> {
        let f = self.field(field)?;
        if f.is_data_loc() {
            Ok(f.offset)
        } else {
            Err(TracefsError::MissingField {
                tracepoint: self.name.clone(),
                field: format!("{field} (as __data_loc, found `{}`)", f.c_type),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Format files recorded from kernel 6.18 (see testdata/).
    fn recorded(category: &str, name: &str) -> Result<Format, TracefsError> {
        let text = match (category, name) {
            ("sock", "inet_sock_set_state") => include_str!("testdata/inet_sock_set_state.format"),
            ("sock", "sock_send_length") => include_str!("testdata/sock_send_length.format"),
            ("sock", "sock_recv_length") => include_str!("testdata/sock_recv_length.format"),
            ("tcp", "tcp_retransmit_skb") => include_str!("testdata/tcp_retransmit_skb.format"),
            ("tcp", "tcp_send_reset") => include_str!("testdata/tcp_send_reset.format"),
            ("tcp", "tcp_receive_reset") => include_str!("testdata/tcp_receive_reset.format"),
            ("sched", "sched_process_exec") => include_str!("testdata/sched_process_exec.format"),
            ("sched", "sched_process_exit") => include_str!("testdata/sched_process_exit.format"),
            _ => {
                return Err(TracefsError::MissingTracepoint {
                    tracepoint: format!("{category}/{name}"),
                    path: PathBuf::from("testdata"),
                })
            }
        };
        parse_format(text).map_err(|source| TracefsError::Format {
            path: PathBuf::from(name),
            source,
        })
    }

    #[test]
    fn parses_scalar_pointer_array_and_data_loc_fields() {
        let set_state = recorded("sock", "inet_sock_set_state").unwrap();
        let skaddr = set_state.field("skaddr").unwrap();
        assert_eq!((skaddr.offset, skaddr.size, skaddr.signed), (8, 8, false));
        assert_eq!(skaddr.c_type, "const void *");
        let saddr_v6 = set_state.field("saddr_v6").unwrap();
        assert_eq!((saddr_v6.offset, saddr_v6.size), (40, 16));
        assert_eq!(saddr_v6.c_type, "__u8[16]");
        assert!(set_state.field("oldstate").unwrap().signed);
        assert_eq!(set_state.field("common_pid").unwrap().offset, 4);

        let exec = recorded("sched", "sched_process_exec").unwrap();
        let filename = exec.field("filename").unwrap();
        assert!(filename.is_data_loc());
        assert_eq!((filename.offset, filename.size), (8, 4));
        assert_eq!(filename.c_type, "__data_loc char[]");

        let exit = recorded("sched", "sched_process_exit").unwrap();
        assert_eq!(exit.field("comm").unwrap().c_type, "char[16]");
        assert_eq!(exit.field("group_dead").unwrap().offset, 32);
    }

    #[test]
    fn resolves_every_field_from_recorded_formats() {
        let fields = fields_from(recorded).unwrap();
        let expected = TracepointFields {
            exec_filename: 8,
            exit_group_dead: 32,
        };
        assert_eq!(fields, expected);
    }

    #[test]
    fn a_missing_tracepoint_or_field_is_named() {
        let err = fields_from(|c, n| {
            if n == "sched_process_exec" {
                recorded("none", n)
            } else {
                recorded(c, n)
            }
        })
        .unwrap_err();
        assert!(err.to_string().contains("none/sched_process_exec"), "{err}");

        let err = fields_from(|c, n| {
            let mut format = recorded(c, n)?;
            if n == "sched_process_exec" {
                format.fields.retain(|f| f.name != "filename");
            }
            Ok(format)
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "tracepoint sched/sched_process_exec has no field `filename`"
        );
    }

    #[test]
    fn group_dead_is_optional() {
        let fields = fields_from(|c, n| {
            let mut format = recorded(c, n)?;
            if n == "sched_process_exit" {
                format.fields.retain(|f| f.name != "group_dead");
            }
            Ok(format)
        })
        .unwrap();
        assert_eq!(fields.exit_group_dead, FIELD_ABSENT);
    }

    #[test]
    fn garbage_is_a_typed_error() {
        for text in [
            "",
            "name: x\nID: 1\nformat:\n\nprint fmt: \"\"",
            "field:int;\toffset:0;\tsize:4;\tsigned:1;",
            "field:int x;\toffset:zero;\tsize:4;",
            "field:int x;\tsize:4;",
            "field:int x;\toffset:0",
            "field:int x;\toffset:-1;\tsize:4;",
            "field:int x;\toffset:99999999999;\tsize:4;",
            "field:x;\toffset:0;\tsize:4;",
            "field:int 9lives;\toffset:0;\tsize:4;",
            "field:int x[;\toffset:0;\tsize:4;",
            "field:]\toffset:0;size:1",
            "field:\u{fffd}\u{0}\toffset:\u{0};",
            "field:int x;\tgarbage;",
        ] {
            assert!(parse_format(text).is_err(), "accepted {text:?}");
        }
        // Arbitrary bytes never panic.
        let mut state = 0x9e37_79b9_u32;
        for _ in 0..2_000 {
            let text: String = (0..64)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    b"field:;offset:size:signed: []_ab19\t\n*"[state as usize % 37] as char
                })
                .collect();
            let _ = parse_format(&text);
        }
    }

    #[test]
    fn unknown_attributes_are_ignored() {
        let format =
            parse_format("field:u64 x;\toffset:8;\tsize:8;\tsigned:0;\tfuture:1;").unwrap();
        assert_eq!(format.field("x").unwrap().offset, 8);
    }

    #[test]
    fn finds_tracefs_in_mounts() {
        let mounts = "sysfs /sys sysfs rw 0 0\n\
                      tracefs /sys/kernel/debug/tracing tracefs rw 0 0\n\
                      tracefs /sys/kernel/tracing tracefs rw,relatime 0 0\n";
        assert_eq!(
            tracefs_in_mounts(mounts),
            Some(PathBuf::from("/sys/kernel/tracing"))
        );
        assert_eq!(
            tracefs_in_mounts("none /mnt/my\\040trace tracefs rw 0 0\n"),
            Some(PathBuf::from("/mnt/my trace"))
        );
        assert_eq!(tracefs_in_mounts("proc /proc proc rw 0 0\ngarbage\n"), None);
    }

    #[test]
    fn reads_this_machines_formats_when_tracefs_is_mounted() {
        let Some(tracefs) = find_tracefs() else {
            return;
        };
        match tracepoint_fields(&tracefs) {
            Ok(fields) => assert_eq!(fields.exec_filename, 8),
            // Not root: tracefs is not readable.
            Err(TracefsError::Read { .. } | TracefsError::MissingTracepoint { .. }) => {}
            Err(e) => panic!("{e}"),
        }
    }
}
