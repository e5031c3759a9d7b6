//! Offsets of the kernel struct members the programs read, from the kernel's BTF.

use std::{fs, io, path::Path};

use btfparse::{Offset, Readable, TypeInformation, TypeVariant};
use sonde_common::{KernelOffsets, SyscallRegs};

/// The running kernel's BTF.
pub const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

#[derive(Debug, thiserror::Error)]
pub enum KernelOffsetsError {
    #[error("cannot read kernel BTF {path}: {source} (sonde needs a kernel built with CONFIG_DEBUG_INFO_BTF=y)")]
    Read {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("cannot parse kernel BTF {path}: {message}")]
    Parse { path: String, message: String },
    #[error("kernel BTF has no struct {0}")]
    MissingStruct(String),
    #[error("cannot resolve {member} in kernel BTF: {message}")]
    Member { member: String, message: String },
    #[error("{member} is a bitfield; sonde reads whole members only")]
    Bitfield { member: String },
    #[error(
        "{member} (offset {offset}, size {size}) does not fit in its struct (size {struct_size})"
    )]
    OutOfBounds {
        member: String,
        offset: u32,
        size: usize,
        struct_size: usize,
    },
}

/// Byte offset and size of one member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberLocation {
    pub offset: u32,
    pub size: usize,
}

/// Kernel BTF, parsed once, to look members up in.
pub struct KernelBtf {
    types: TypeInformation,
}

impl KernelBtf {
    pub fn open(path: &Path) -> Result<KernelBtf, KernelOffsetsError> {
        let bytes = fs::read(path).map_err(|source| KernelOffsetsError::Read {
            path: path.display().to_string(),
            source,
        })?;
        KernelBtf::parse(&bytes).map_err(|message| KernelOffsetsError::Parse {
            path: path.display().to_string(),
            message,
        })
    }

    fn parse(bytes: &[u8]) -> Result<KernelBtf, String> {
        let types = TypeInformation::new(&Bytes(bytes)).map_err(|e| describe(&e))?;
        Ok(KernelBtf { types })
    }

    /// The id and size of the complete `struct <name>`.
    ///
    /// Looked up by kind as well as name: `TypeInformation::id_of` keeps one id
    /// per name, which may be a function, variable or forward declaration.
    fn find_struct(&self, name: &str) -> Option<(u32, usize)> {
        self.types.get().iter().find_map(|(id, ty)| match ty {
            TypeVariant::Struct(s) if s.name().as_deref() == Some(name) && *s.size() > 0 => {
                Some((*id, *s.size()))
            }
            _ => None,
        })
    }

    /// Where `path` (members separated by dots, anonymous unions and structs
    /// looked through) lies in `struct <struct_name>`.
    pub fn member(
        &self,
        struct_name: &str,
        path: &str,
    ) -> Result<MemberLocation, KernelOffsetsError> {
        let member = format!("{struct_name}.{path}");
        let (id, struct_size) = self
            .find_struct(struct_name)
            .ok_or_else(|| KernelOffsetsError::MissingStruct(struct_name.to_owned()))?;
        let (member_id, location) =
            self.types
                .offset_of(id, path)
                .map_err(|e| KernelOffsetsError::Member {
                    member: member.clone(),
                    message: describe(&e),
                })?;
        let offset = match location {
            Offset::ByteOffset(offset) => offset,
            Offset::BitOffsetAndSize(bits, 0) if bits % 8 == 0 => bits / 8,
            Offset::BitOffsetAndSize(..) => return Err(KernelOffsetsError::Bitfield { member }),
        };
        let size = self
            .types
            .size_of(member_id)
            .map_err(|e| KernelOffsetsError::Member {
                member: member.clone(),
                message: describe(&e),
            })?;
        if offset as usize + size > struct_size {
            return Err(KernelOffsetsError::OutOfBounds {
                member,
                offset,
                size,
                struct_size,
            });
        }
        Ok(MemberLocation { offset, size })
    }

    fn offset(&self, struct_name: &str, path: &str) -> Result<u32, KernelOffsetsError> {
        self.member(struct_name, path).map(|m| m.offset)
    }
}

/// Offsets of every kernel struct member the programs read, from BTF at `btf_path`.
pub fn kernel_offsets(btf_path: &Path) -> Result<KernelOffsets, KernelOffsetsError> {
    offsets_from(&KernelBtf::open(btf_path)?)
}

fn offsets_from(btf: &KernelBtf) -> Result<KernelOffsets, KernelOffsetsError> {
    Ok(KernelOffsets {
        task_real_parent: btf.offset("task_struct", "real_parent")?,
        task_tgid: btf.offset("task_struct", "tgid")?,
        task_exit_code: btf.offset("task_struct", "exit_code")?,
        sock_err: btf.offset("sock", "sk_err")?,
        sock_protocol: btf.offset("sock", "sk_protocol")?,
        sock_family: btf.offset("sock", "__sk_common.skc_family")?,
        sock_state: btf.offset("sock", "__sk_common.skc_state")?,
        inet_sport: btf.offset("inet_sock", "inet_sport")?,
        sock_dport: btf.offset("sock", "__sk_common.skc_dport")?,
        sock_rcv_saddr: btf.offset("sock", "__sk_common.skc_rcv_saddr")?,
        sock_daddr: btf.offset("sock", "__sk_common.skc_daddr")?,
        sock_v6_rcv_saddr: btf.offset("sock", "__sk_common.skc_v6_rcv_saddr")?,
        sock_v6_daddr: btf.offset("sock", "__sk_common.skc_v6_daddr")?,
        sock_type: btf.offset("sock", "sk_type")?,
        sock_socket: btf.offset("sock", "sk_socket")?,
        socket_ino: btf.offset("socket_alloc", "vfs_inode")? + btf.offset("inode", "i_ino")?,
        task_stack: btf.offset("task_struct", "stack")?,
        unix_addr: btf.offset("unix_sock", "addr")?,
        unix_peer: btf.offset("unix_sock", "peer")?,
        unix_address_path: btf.offset("unix_address", "name")?
            + btf.offset("sockaddr_un", "sun_path")?,
        _pad: 0,
    })
}

/// [`kernel_offsets`], and where the syscall arguments are in `struct
/// pt_regs` (None where that is not known: payload capture is then off).
pub fn kernel_offsets_and_regs(
    btf_path: &Path,
) -> Result<(KernelOffsets, Option<SyscallRegs>), KernelOffsetsError> {
    let btf = KernelBtf::open(btf_path)?;
    Ok((offsets_from(&btf)?, syscall_regs(&btf).ok()))
}

/// Offsets in the architecture's `struct pt_regs` of the syscall number and
/// its first three arguments, as user space saved them.
fn syscall_regs(btf: &KernelBtf) -> Result<SyscallRegs, KernelOffsetsError> {
    if !cfg!(target_arch = "x86_64") {
        return Err(KernelOffsetsError::MissingStruct(
            "pt_regs (payload capture supports x86_64 only)".into(),
        ));
    }
    Ok(SyscallRegs {
        from_stack: 0,
        nr: btf.offset("pt_regs", "orig_ax")?,
        arg0: btf.offset("pt_regs", "di")?,
        arg1: btf.offset("pt_regs", "si")?,
        arg2: btf.offset("pt_regs", "dx")?,
    })
}

/// btfparse errors do not implement Display.
fn describe(error: &btfparse::Error) -> String {
    format!("{} ({:?})", error.message(), error.kind())
}

/// BTF bytes held in memory (btfparse reads through this trait).
struct Bytes<'a>(&'a [u8]);

impl Readable for Bytes<'_> {
    fn read(&self, offset: u64, buffer: &mut [u8]) -> btfparse::Result<()> {
        let out_of_range = || {
            btfparse::Error::from(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "read past the end of the BTF data",
            ))
        };
        let start = usize::try_from(offset).map_err(|_| out_of_range())?;
        let end = start.checked_add(buffer.len()).ok_or_else(out_of_range)?;
        let source = self.0.get(start..end).ok_or_else(out_of_range)?;
        buffer.copy_from_slice(source);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vmlinux() -> Option<KernelBtf> {
        Path::new(VMLINUX_BTF)
            .exists()
            .then(|| KernelBtf::open(Path::new(VMLINUX_BTF)).unwrap())
    }

    #[test]
    fn resolves_the_running_kernels_offsets() {
        let Some(btf) = vmlinux() else {
            return;
        };
        let offsets = offsets_from(&btf).unwrap();
        // Pointers are pointer-sized, ints int-sized, and every member lies
        // inside its struct (checked by `member`).
        for (s, m, size) in [
            ("task_struct", "real_parent", 8),
            ("task_struct", "tgid", 4),
            ("task_struct", "exit_code", 4),
            ("sock", "sk_err", 4),
        ] {
            assert_eq!(btf.member(s, m).unwrap().size, size, "{s}.{m}");
        }
        assert!(offsets.task_real_parent > 0 && offsets.task_tgid > 0 && offsets.sock_err > 0);

        // Verified by hand against `bpftool btf dump file /sys/kernel/btf/vmlinux
        // format raw` (bits_offset / 8) on the kernel these tests run on.
        let release = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        if release.trim() == "6.18.44-fc-v669" {
            let expected = KernelOffsets {
                task_real_parent: 1280,
                task_tgid: 1268,
                task_exit_code: 1164,
                sock_err: 284,
                sock_protocol: 532,
                sock_family: 16,
                sock_state: 18,
                inet_sport: 814,
                sock_dport: 12,
                sock_rcv_saddr: 4,
                sock_daddr: 0,
                sock_v6_rcv_saddr: 72,
                sock_v6_daddr: 56,
                sock_type: 534,
                sock_socket: 288,
                socket_ino: 128 + 64,
                task_stack: 32,
                unix_addr: 784,
                unix_peer: 872,
                unix_address_path: 8 + 2,
                _pad: 0,
            };
            assert_eq!(offsets, expected);
        }
    }

    #[test]
    fn members_inside_anonymous_unions_resolve() {
        let Some(btf) = vmlinux() else {
            return;
        };
        // `struct file { ...; union { struct callback_head f_task_work; ... }; ... }`
        // and `struct sock { struct sock_common __sk_common; ... }` with
        // `skc_family` inside anonymous members of sock_common.
        assert!(btf.member("file", "f_task_work").is_ok());
        assert!(btf.member("sock", "__sk_common.skc_family").is_ok());
    }

    #[test]
    fn bitfields_and_unknown_members_are_refused() {
        let Some(btf) = vmlinux() else {
            return;
        };
        // `struct sock { ...; u16 sk_type; ...; u8 sk_userlocks:4 ... }`:
        // look for some bitfield member.
        let err = btf.member("sk_buff", "pkt_type").unwrap_err();
        assert!(matches!(err, KernelOffsetsError::Bitfield { .. }), "{err}");
        assert!(matches!(
            btf.member("task_struct", "no_such_member"),
            Err(KernelOffsetsError::Member { .. })
        ));
        assert!(matches!(
            btf.member("no_such_struct", "x"),
            Err(KernelOffsetsError::MissingStruct(_))
        ));
    }

    #[test]
    fn garbage_btf_is_an_error() {
        assert!(KernelBtf::parse(b"").is_err());
        assert!(KernelBtf::parse(b"\x9f\xeb\x01\x00garbage").is_err());
        assert!(KernelBtf::parse(&[0xff; 64]).is_err());
        let err = kernel_offsets(Path::new("/nonexistent/vmlinux"))
            .err()
            .unwrap();
        assert!(matches!(err, KernelOffsetsError::Read { .. }));
    }
}
