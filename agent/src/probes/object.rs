//! The kernel programs object embedded in this binary by build.rs.

/// Bytes of the `sonde-probes` ELF object (empty when built without probes).
static PROBES_OBJECT: &[u8] = aya::include_bytes_aligned!(env!("SONDE_PROBES_OBJECT"));

#[derive(Debug, thiserror::Error)]
#[error("this sonde binary was built without its eBPF probes; build it with `cargo xtask build`")]
pub struct NotEmbedded;

/// The embedded object, or an error saying how to get one.
pub fn probes_object() -> Result<&'static [u8], NotEmbedded> {
    if PROBES_OBJECT.is_empty() {
        Err(NotEmbedded)
    } else {
        Ok(PROBES_OBJECT)
    }
}
