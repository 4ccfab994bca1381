//! Throw-away certificates for peers that serve TLS: a CA made for one test, a server
//! certificate it signs for the names the test connects by, a client certificate it signs for
//! brokers that ask for one, and a second, unrelated CA that signed nothing the servers present
//! (what a deployment that names the wrong `ca_file` trusts). Made with rcgen (ECDSA P-256) in a
//! temporary folder that is removed when the [`TlsFiles`] drop.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use tempfile::TempDir;

use crate::{PeerError, HOST};

const PEER: &str = "TLS certificates";

/// The names of a server on this machine's loopback: its address (an IP SAN), as fdi's tests
/// connect, and `localhost` (a DNS SAN), as a client that connects by name does.
pub const LOOPBACK_NAMES: [&str; 2] = [HOST, "localhost"];

/// PEM files of a test CA, a server certificate and key it signed, a client certificate and key
/// it signed, and an unrelated CA; all removed when dropped.
#[derive(Debug)]
pub struct TlsFiles {
    folder: TempDir,
    server_names: Vec<String>,
}

impl TlsFiles {
    /// Files whose server certificate names [`LOOPBACK_NAMES`]: `127.0.0.1` and `localhost`.
    pub fn for_loopback() -> Result<TlsFiles, PeerError> {
        Self::for_names(&LOOPBACK_NAMES)
    }

    /// Files whose server certificate names exactly `server_names` (an address becomes an IP
    /// SAN, anything else a DNS SAN), e.g. `["localhost"]` for a certificate that a client
    /// connecting to `127.0.0.1` must refuse.
    pub fn for_names(server_names: &[&str]) -> Result<TlsFiles, PeerError> {
        let folder = tempfile::Builder::new()
            .prefix("fdi-tls-")
            .tempdir()
            .map_err(|e| PeerError::new(PEER, format!("no temporary folder: {e}")))?;
        let files = TlsFiles {
            folder,
            server_names: server_names.iter().map(|name| name.to_string()).collect(),
        };
        let (ca, ca_issuer) = certificate_authority("fdi-peers test CA")?;
        files.write(CA_FILE, &ca.pem())?;
        let (server, server_key) = leaf(
            &ca_issuer,
            "fdi-peers test server",
            &files.server_names,
            ExtendedKeyUsagePurpose::ServerAuth,
        )?;
        files.write(SERVER_CERT_FILE, &server.pem())?;
        files.write(SERVER_KEY_FILE, &server_key.serialize_pem())?;
        let (client, client_key) = leaf(
            &ca_issuer,
            "fdi-peers test client",
            &[],
            ExtendedKeyUsagePurpose::ClientAuth,
        )?;
        files.write(CLIENT_CERT_FILE, &client.pem())?;
        files.write(CLIENT_KEY_FILE, &client_key.serialize_pem())?;
        // Its key is thrown away: it signs nothing, it is only trusted by mistake.
        let (other_ca, _) = certificate_authority("fdi-peers unrelated CA")?;
        files.write(OTHER_CA_FILE, &other_ca.pem())?;
        Ok(files)
    }

    /// The names the server certificate is issued for.
    pub fn server_names(&self) -> &[String] {
        &self.server_names
    }

    /// The CA that signed the server's and the client's certificates: what a deployment's
    /// `ca_file` names to trust the server.
    pub fn ca_file(&self) -> PathBuf {
        self.path(CA_FILE)
    }

    /// A CA that signed neither certificate.
    pub fn other_ca_file(&self) -> PathBuf {
        self.path(OTHER_CA_FILE)
    }

    /// The server's certificate.
    pub fn server_cert_file(&self) -> PathBuf {
        self.path(SERVER_CERT_FILE)
    }

    /// The server certificate's private key (PKCS#8).
    pub fn server_key_file(&self) -> PathBuf {
        self.path(SERVER_KEY_FILE)
    }

    /// A client certificate (for a server that asks for one).
    pub fn client_cert_file(&self) -> PathBuf {
        self.path(CLIENT_CERT_FILE)
    }

    /// The client certificate's private key (PKCS#8).
    pub fn client_key_file(&self) -> PathBuf {
        self.path(CLIENT_KEY_FILE)
    }

    /// Copies the server's certificate and key and the CA into `folder` (a peer's own, so the
    /// server does not depend on these files living as long as it does) and returns where they
    /// are. The key is readable by its owner only, as PostgreSQL demands of a key file.
    pub(crate) fn install_for_server(&self, folder: &Path) -> Result<ServerFiles, PeerError> {
        use std::os::unix::fs::PermissionsExt;
        let installed = ServerFiles {
            ca_file: folder.join(CA_FILE),
            cert_file: folder.join(SERVER_CERT_FILE),
            key_file: folder.join(SERVER_KEY_FILE),
        };
        for (from, to) in [
            (self.ca_file(), &installed.ca_file),
            (self.server_cert_file(), &installed.cert_file),
            (self.server_key_file(), &installed.key_file),
        ] {
            std::fs::copy(&from, to).map_err(|e| {
                PeerError::new(
                    PEER,
                    format!("cannot copy {} to {}: {e}", from.display(), to.display()),
                )
            })?;
        }
        std::fs::set_permissions(&installed.key_file, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| {
                PeerError::new(
                    PEER,
                    format!("cannot restrict {}: {e}", installed.key_file.display()),
                )
            })?;
        Ok(installed)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.folder.path().join(name)
    }

    fn write(&self, name: &str, pem: &str) -> Result<(), PeerError> {
        let path = self.path(name);
        std::fs::write(&path, pem)
            .map_err(|e| PeerError::new(PEER, format!("cannot write {}: {e}", path.display())))
    }
}

/// A server's copies of its certificate, its key and the CA, in its own folder.
#[derive(Debug, Clone)]
pub(crate) struct ServerFiles {
    pub(crate) ca_file: PathBuf,
    pub(crate) cert_file: PathBuf,
    pub(crate) key_file: PathBuf,
}

const CA_FILE: &str = "ca.crt";
const OTHER_CA_FILE: &str = "other-ca.crt";
const SERVER_CERT_FILE: &str = "server.crt";
const SERVER_KEY_FILE: &str = "server.key";
const CLIENT_CERT_FILE: &str = "client.crt";
const CLIENT_KEY_FILE: &str = "client.key";

/// A self-signed CA certificate named `common_name`, and the issuer that signs with its key.
fn certificate_authority(
    common_name: &str,
) -> Result<(Certificate, Issuer<'static, KeyPair>), PeerError> {
    let mut params = CertificateParams::default();
    params.distinguished_name = named(common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = KeyPair::generate().map_err(failed("generate a CA key"))?;
    let certificate = params
        .self_signed(&key)
        .map_err(failed("self-sign the CA"))?;
    Ok((certificate, Issuer::new(params, key)))
}

/// A certificate `issuer` signs for `names` (subject alternative names) and `usage`, with its
/// new key.
fn leaf(
    issuer: &Issuer<'static, KeyPair>,
    common_name: &str,
    names: &[String],
    usage: ExtendedKeyUsagePurpose,
) -> Result<(Certificate, KeyPair), PeerError> {
    let mut params =
        CertificateParams::new(names.to_vec()).map_err(failed("name the certificate"))?;
    params.distinguished_name = named(common_name);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![usage];
    params.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate().map_err(failed("generate a key"))?;
    let certificate = params
        .signed_by(&key, issuer)
        .map_err(failed("sign the certificate"))?;
    Ok((certificate, key))
}

fn named(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    name
}

fn failed(step: &'static str) -> impl Fn(rcgen::Error) -> PeerError {
    move |e| PeerError::new(PEER, format!("cannot {step}: {e}"))
}
