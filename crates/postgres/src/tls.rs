//! TLS to PostgreSQL: used when the connection string says `sslmode=require`, with the
//! server's certificate always verified (its name and its chain) against the system's
//! certificate authorities, or the private one `DONNA_TLS_CA_FILE` names. A connection string
//! that does not require TLS gets a plain connection: `prefer` would let a server on the way
//! decide, and a check-in's details would cross the network in the clear without anyone
//! having chosen it.

use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres::config::SslMode;

use crate::PostgresError;

/// How to connect to the server `config` names: the connector to use, and `config` with
/// `prefer` turned into `disable` (see the module docs).
pub(crate) fn connector(
    config: &mut tokio_postgres::Config,
    ca_pem: Option<&[u8]>,
) -> Result<Option<tokio_postgres_rustls::MakeRustlsConnect>, PostgresError> {
    match config.get_ssl_mode() {
        SslMode::Require => {}
        _ => {
            config.ssl_mode(SslMode::Disable);
            return Ok(None);
        }
    }
    let mut roots = rustls::RootCertStore::empty();
    match ca_pem {
        Some(pem) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
                .collect::<Result<_, _>>()
                .map_err(|e| PostgresError::Tls(format!("the certificate authority file: {e}")))?;
            if certs.is_empty() {
                return Err(PostgresError::Tls(
                    "the certificate authority file holds no certificate".to_owned(),
                ));
            }
            for cert in certs {
                roots
                    .add(cert)
                    .map_err(|e| PostgresError::Tls(format!("the certificate authority file: {e}")))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
            if roots.is_empty() {
                return Err(PostgresError::Tls(
                    "no system certificate authorities to verify the server with (install ca-certificates, or set DONNA_TLS_CA_FILE)".to_owned(),
                ));
            }
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| PostgresError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Some(tokio_postgres_rustls::MakeRustlsConnect::new(tls)))
}
