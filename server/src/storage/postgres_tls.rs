//! How a PostgreSQL URL asks for TLS, and the connector that honours it.
//!
//! The URL speaks libpq's words: `sslmode` (`disable`, `prefer`, `require`, `verify-ca`,
//! `verify-full`) and `sslrootcert=PATH`. The PostgreSQL driver knows only the first
//! three modes and no root certificate, so both parameters are taken out of the URL
//! here and the rest is handed to the driver.
//!
//! One deliberate difference from libpq: an encrypted connection is never accepted
//! without checking the server's certificate chain, since a storage link that anyone on
//! the path can read and rewrite carries every session of the deployment. `require` and
//! `verify-ca` check the chain; `verify-full` also checks the host name. `prefer` (the
//! driver's default) connects in plain TCP, as it did before TLS was offered, so a URL
//! that says nothing about TLS keeps working against a server with a self-signed
//! certificate.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::config::SslMode;

/// What the URL asks of the link's encryption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encryption {
    /// Plain TCP (`disable`, `prefer`, or no `sslmode`).
    Plain,
    /// TLS with the chain checked against `roots` (the system's when `None`); the host
    /// name is checked too when `check_host` holds.
    Tls {
        roots: Option<PathBuf>,
        check_host: bool,
    },
}

/// A PostgreSQL URL split into the driver's configuration and the encryption wanted.
#[derive(Debug)]
pub struct PostgresTarget {
    pub config: tokio_postgres::Config,
    pub encryption: Encryption,
}

impl PostgresTarget {
    pub fn parse(url: &str) -> Result<PostgresTarget, String> {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut mode = None;
        let mut roots = None;
        let mut rest = Vec::new();
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            match name {
                "sslmode" => mode = Some(value.to_owned()),
                "sslrootcert" => {
                    let path = percent_encoding::percent_decode_str(value)
                        .decode_utf8()
                        .map_err(|_| "sslrootcert is not UTF-8".to_owned())?;
                    if path.is_empty() {
                        return Err("sslrootcert needs a file path".to_owned());
                    }
                    roots = Some(PathBuf::from(path.into_owned()));
                }
                _ => rest.push(pair),
            }
        }
        // Whether TLS is asked for, and then whether the host name is checked too.
        let check_host = match mode.as_deref() {
            None | Some("disable" | "prefer") => None,
            Some("require" | "verify-ca") => Some(false),
            Some("verify-full") => Some(true),
            Some(other) => {
                return Err(format!(
                    "sslmode={other} is not one of disable, prefer, require, verify-ca, verify-full"
                ))
            }
        };
        let encryption = match check_host {
            Some(check_host) => Encryption::Tls { roots, check_host },
            None if roots.is_some() => {
                return Err("sslrootcert is given but sslmode does not ask for TLS \
                     (use sslmode=verify-ca or verify-full)"
                    .to_owned())
            }
            None => Encryption::Plain,
        };
        let driver_url = if rest.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", rest.join("&"))
        };
        let mut config: tokio_postgres::Config = driver_url.parse().map_err(|e| format!("{e}"))?;
        config.ssl_mode(match encryption {
            Encryption::Plain => SslMode::Disable,
            Encryption::Tls { .. } => SslMode::Require,
        });
        Ok(PostgresTarget { config, encryption })
    }
}

/// The rustls connector for `Tls` encryption: reads the root certificates now, so a
/// missing or unreadable file stops startup instead of failing every connection.
pub fn connector(
    roots: Option<&PathBuf>,
    check_host: bool,
) -> Result<tokio_postgres_rustls::MakeRustlsConnect, String> {
    let mut store = RootCertStore::empty();
    match roots {
        Some(path) => {
            let certificates = CertificateDer::pem_file_iter(path)
                .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("cannot read sslrootcert {}: {e}", path.display()))?;
            let (added, _) = store.add_parsable_certificates(certificates);
            if added == 0 {
                return Err(format!(
                    "sslrootcert {} holds no usable certificate",
                    path.display()
                ));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            store.add_parsable_certificates(found.certs);
            if store.is_empty() {
                return Err("the system has no root certificates; name the server's \
                     certificate authority with sslrootcert=PATH"
                    .to_owned());
            }
        }
    }
    let chain = WebPkiServerVerifier::builder(Arc::new(store))
        .build()
        .map_err(|e| format!("cannot use the root certificates: {e}"))?;
    let verifier: Arc<dyn ServerCertVerifier> = if check_host {
        chain
    } else {
        Arc::new(ChainOnly(chain))
    };
    let config = rustls::ClientConfig::builder()
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// libpq's `verify-ca`: the chain must lead to a trusted root; the name in the
/// certificate may differ from the host dialled (e.g. an address instead of a name).
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_map_to_plain_or_checked_tls() {
        let cases = [
            ("postgres://h/db", Encryption::Plain),
            ("postgres://h/db?sslmode=disable", Encryption::Plain),
            ("postgres://h/db?sslmode=prefer", Encryption::Plain),
            (
                "postgres://h/db?sslmode=require",
                Encryption::Tls {
                    roots: None,
                    check_host: false,
                },
            ),
            (
                "postgres://h/db?sslrootcert=%2Fetc%2Fca.pem&sslmode=verify-ca",
                Encryption::Tls {
                    roots: Some(PathBuf::from("/etc/ca.pem")),
                    check_host: false,
                },
            ),
            (
                "postgres://h/db?application_name=x&sslmode=verify-full&sslrootcert=ca.pem",
                Encryption::Tls {
                    roots: Some(PathBuf::from("ca.pem")),
                    check_host: true,
                },
            ),
        ];
        for (url, encryption) in cases {
            let target = PostgresTarget::parse(url).expect(url);
            assert_eq!(target.encryption, encryption, "{url}");
            let tls = matches!(encryption, Encryption::Tls { .. });
            let driver_mode = if tls {
                SslMode::Require
            } else {
                SslMode::Disable
            };
            assert_eq!(target.config.get_ssl_mode(), driver_mode, "{url}");
        }
        let target = PostgresTarget::parse("postgres://h/db?application_name=x&sslmode=require")
            .expect("valid");
        assert_eq!(target.config.get_application_name(), Some("x"));
    }

    #[test]
    fn contradictions_and_unknown_modes_are_refused() {
        for (url, words) in [
            ("postgres://h/db?sslmode=allow", "sslmode=allow"),
            ("postgres://h/db?sslrootcert=ca.pem", "sslrootcert"),
            (
                "postgres://h/db?sslmode=disable&sslrootcert=ca.pem",
                "sslrootcert",
            ),
            ("postgres://h/db?sslmode=require&sslrootcert=", "file path"),
        ] {
            let message = PostgresTarget::parse(url).expect_err(url);
            assert!(message.contains(words), "{url}: {message}");
        }
    }

    #[test]
    fn an_unreadable_or_empty_root_file_is_refused_up_front() {
        let folder = tempfile::tempdir().expect("temporary folder");
        let missing = folder.path().join("missing.pem");
        let message = connector(Some(&missing), true).err().expect("refused");
        assert!(message.contains("missing.pem"), "{message}");
        let empty = folder.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").expect("written");
        let message = connector(Some(&empty), false).err().expect("refused");
        assert!(message.contains("no usable certificate"), "{message}");
    }
}
