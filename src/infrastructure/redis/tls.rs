//! TLS for `rediss://`: rustls (ring), verifying the server against the system roots or a
//! PEM bundle, with an optional client certificate. A URL with `rediss://` always gets this
//! configuration, so a certificate that does not verify is a failed connection (the service
//! runs degraded), never a silent plain-text fallback.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use fred::types::config::TlsConnector;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Files that configure TLS to Redis (all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedisTls {
    /// PEM bundle of the CAs to trust instead of the system roots (`REDIS_TLS_CA_FILE`).
    pub ca_file: Option<PathBuf>,
    /// Client certificate chain, PEM (`REDIS_TLS_CERT_FILE`).
    pub cert_file: Option<PathBuf>,
    /// Client private key, PEM (`REDIS_TLS_KEY_FILE`).
    pub key_file: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum RedisTlsError {
    #[error("could not read {what} from {path}")]
    Pem {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    #[error("TLS configuration refused")]
    Rustls(#[from] rustls::Error),
    #[error("REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE go together")]
    HalfClientIdentity,
}

fn certificates(
    what: &'static str,
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, RedisTlsError> {
    let pem = |source| RedisTlsError::Pem {
        what,
        path: path.to_owned(),
        source,
    };
    CertificateDer::pem_file_iter(path)
        .map_err(pem)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(pem)
}

/// The rustls connector for these files.
pub fn connector(tls: &RedisTls) -> Result<TlsConnector, RedisTlsError> {
    let mut roots = rustls::RootCertStore::empty();
    match &tls.ca_file {
        Some(path) => {
            for certificate in certificates("CA certificates", path)? {
                roots.add(certificate)?;
            }
        }
        None => {
            let native = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(native.certs);
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots);
    let config = match (&tls.cert_file, &tls.key_file) {
        (Some(cert), Some(key)) => {
            let chain = certificates("a client certificate", cert)?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|source| RedisTlsError::Pem {
                what: "a client key",
                path: key.to_owned(),
                source,
            })?;
            builder.with_client_auth_cert(chain, key)?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => return Err(RedisTlsError::HalfClientIdentity),
    };
    Ok(TlsConnector::from(config))
}
