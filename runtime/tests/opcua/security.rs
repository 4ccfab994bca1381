//! Security from the deployment settings: Basic256Sha256 with SignAndEncrypt, the server's
//! certificate trusted from a file, a user and password; a server that is not trusted and a wrong
//! password are refused when the source opens.

use std::path::Path;

use fdi_peers::opcua::{OpcuaImplementation, OpcuaSecurity};
use fdi_runtime::opcua::OpcuaConnection;
use fdi_runtime::serde_json::json;
use fdi_runtime::Settings;

use super::*;

const USER: &str = "operator";
const PASSWORD: &str = "s3cret-limits";

/// The connection `[connections.plc]` of a config file with `lines` describes.
fn connection_from_config(folder: &Path, lines: &str) -> Result<OpcuaConnection, RunError> {
    let config = folder.join("line.toml");
    std::fs::write(&config, format!("[connections.plc]\n{lines}")).expect("config written");
    let settings = Settings::load(Some(&config), &["plc"], Vec::new())?;
    OpcuaConnection::from_settings(settings.connection("plc")?, folder)
}

fn open(
    io: &tokio::runtime::Runtime,
    connection: &OpcuaConnection,
    settings: &SubscriptionSettings,
) -> Result<OpcuaSource, RunError> {
    OpcuaSource::open("plc", connection, settings, Default::default(), io.handle())
}

fn sign_and_encrypt(implementation: OpcuaImplementation) {
    let io = io();
    let mut server = OpcuaServer::start_with(
        implementation,
        OpcuaSecurity::SignAndEncrypt {
            username: USER.to_string(),
            password: PASSWORD.to_string(),
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let folder = tempfile::tempdir().expect("temporary folder");
    let certificate = server
        .server_certificate()
        .expect("a secure server has a certificate")
        .to_path_buf();
    let settings = subscription(&server, &["Machine.Speed"]);
    let endpoint = server.endpoint_url().to_string();
    let secure = format!(
        "endpoint_url = \"{endpoint}\"\nsecurity_mode = \"SignAndEncrypt\"\n\
         security_policy = \"Basic256Sha256\"\npki_dir = \"pki\"\n"
    );

    // Not trusted: the program's trust list is empty, so the server's certificate is refused.
    let untrusted = connection_from_config(
        folder.path(),
        &format!("{secure}username = \"{USER}\"\npassword = \"{PASSWORD}\"\n"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let refused = open(&io, &untrusted, &settings)
        .err()
        .expect("an untrusted server is refused");
    assert!(refused.to_string().contains("cannot connect"), "{refused}");

    let trusted = format!(
        "{secure}trust_server_certificate = \"{}\"\n",
        certificate.display()
    );
    // Trusted, but the wrong password.
    let wrong = connection_from_config(
        folder.path(),
        &format!("{trusted}username = \"{USER}\"\npassword = \"not-{PASSWORD}\"\n"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let refused = open(&io, &wrong, &settings)
        .err()
        .expect("a wrong password is refused");
    assert!(
        !refused.to_string().contains(PASSWORD),
        "no password in {refused}"
    );
    assert!(
        refused
            .to_string()
            .contains("check `username` and `password`"),
        "{refused}"
    );

    // Trusted and the right user: data changes arrive.
    let right = connection_from_config(
        folder.path(),
        &format!("{trusted}username = \"{USER}\"\npassword = \"{PASSWORD}\"\n"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut source = open(&io, &right, &settings).unwrap_or_else(|e| panic!("{e}"));
    let mut records = Vec::new();
    read_until(&io, &mut source, &mut records, |r| !r.is_empty());
    server
        .set("Machine.Speed", json!(4321.5))
        .unwrap_or_else(|e| panic!("{e}"));
    read_until(&io, &mut source, &mut records, |r| {
        r.iter().any(|record| record["value"] == json!(4321.5))
    });
}

#[test]
fn sign_and_encrypt_with_asyncua() {
    sign_and_encrypt(OpcuaImplementation::Asyncua);
}

/// async-opcua 0.19 takes a server certificate's application URI only from its first
/// subjectAltName (Part 6 only asks that one be the URI); node-opcua's self-signed certificate puts
/// it last, so the session is refused with BadCertificateUriInvalid until the peer serves a
/// certificate with the URI first.
#[test]
#[ignore = "async-opcua 0.19 wants the application URI as the first subjectAltName; node-opcua's certificate has it last"]
fn sign_and_encrypt_with_node_opcua() {
    sign_and_encrypt(OpcuaImplementation::NodeOpcua);
}

/// Settings that cannot work are refused before any connection, in words that say what to give.
#[test]
fn settings_that_cannot_work_are_refused() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let refused = |lines: &str| {
        connection_from_config(folder.path(), lines)
            .err()
            .unwrap_or_else(|| panic!("{lines} is refused"))
            .to_string()
    };
    assert!(refused("security_mode = \"None\"\n").contains("endpoint_url"));
    assert!(refused("endpoint_url = \"http://plc:4840\"\n").contains("opc.tcp://"));
    assert!(refused(
        "endpoint_url = \"opc.tcp://127.0.0.1:4840\"\nsecurity_mode = \"None\"\nsecurity_policy = \"Basic256Sha256\"\n"
    )
    .contains("both be None"));
    assert!(refused(
        "endpoint_url = \"opc.tcp://127.0.0.1:4840\"\nsecurity_policy = \"Basic128Rsa15\"\n"
    )
    .contains("security_policy"));
    assert!(
        refused("endpoint_url = \"opc.tcp://127.0.0.1:4840\"\nusername = \"u\"\n")
            .contains("password")
    );
    for policy in [
        "Aes128_Sha256_RsaOaep",
        "Aes256_Sha256_RsaPss",
        "Basic256Sha256",
    ] {
        connection_from_config(
            folder.path(),
            &format!(
                "endpoint_url = \"opc.tcp://127.0.0.1:4840\"\nsecurity_policy = \"{policy}\"\n"
            ),
        )
        .unwrap_or_else(|e| panic!("{policy}: {e}"));
    }
    let secure = connection_from_config(
        folder.path(),
        "endpoint_url = \"opc.tcp://127.0.0.1:4840\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !secure.is_insecure(),
        "SignAndEncrypt unless the config says None"
    );
}
