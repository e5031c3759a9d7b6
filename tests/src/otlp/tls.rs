//! Certificates for a TLS receiver, made fresh at start: a test CA, a server
//! certificate for `localhost` and 127.0.0.1, and a client certificate for
//! mTLS, all signed by that CA and written as PEM files.

use std::{fs, path::PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tonic::transport::{Certificate, Identity, ServerTlsConfig};

use crate::paths::TempDir;

/// The PEM files of one receiver, removed with it.
#[derive(Debug)]
pub(crate) struct TlsFiles {
    dir: TempDir,
    client_auth: bool,
}

impl TlsFiles {
    /// Makes the CA and both certificates in a fresh temp dir.
    pub fn generate(client_auth: bool) -> Self {
        let files = TlsFiles {
            dir: TempDir::new("sonde-otlp-tls"),
            client_auth,
        };
        let ca_key = KeyPair::generate().expect("generate the test CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "sonde test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca_params
            .self_signed(&ca_key)
            .expect("self-sign the test CA");
        let ca = Issuer::new(ca_params, ca_key);
        files.write("ca.pem", &ca_cert.pem());

        let leaf = |names: Vec<String>, usage: ExtendedKeyUsagePurpose, common_name: &str| {
            let key = KeyPair::generate().expect("generate a certificate key");
            let mut params = CertificateParams::new(names).expect("certificate params");
            params
                .distinguished_name
                .push(DnType::CommonName, common_name);
            params.extended_key_usages = vec![usage];
            let cert = params
                .signed_by(&key, &ca)
                .expect("sign a certificate with the test CA");
            (cert.pem(), key.serialize_pem())
        };
        let (server_cert, server_key) = leaf(
            vec!["localhost".into(), "127.0.0.1".into()],
            ExtendedKeyUsagePurpose::ServerAuth,
            "localhost",
        );
        files.write("server.pem", &server_cert);
        files.write("server.key", &server_key);
        let (client_cert, client_key) = leaf(
            Vec::new(),
            ExtendedKeyUsagePurpose::ClientAuth,
            "sonde test client",
        );
        files.write("client.pem", &client_cert);
        files.write("client.key", &client_key);
        files
    }

    pub fn ca_certificate(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    pub fn client_certificate(&self) -> PathBuf {
        self.dir.path().join("client.pem")
    }

    pub fn client_key(&self) -> PathBuf {
        self.dir.path().join("client.key")
    }

    /// The server side: its certificate, and with client auth the CA that
    /// client certificates must be signed by.
    pub fn server_config(&self) -> ServerTlsConfig {
        let config = ServerTlsConfig::new().identity(Identity::from_pem(
            self.read("server.pem"),
            self.read("server.key"),
        ));
        if self.client_auth {
            config.client_ca_root(Certificate::from_pem(self.read("ca.pem")))
        } else {
            config
        }
    }

    fn write(&self, name: &str, pem: &str) {
        let path = self.dir.path().join(name);
        fs::write(&path, pem).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    fn read(&self, name: &str) -> Vec<u8> {
        let path = self.dir.path().join(name);
        fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }
}
