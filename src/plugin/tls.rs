//! AutoMTLS as go-plugin does it: a fresh server certificate per launch, and
//! only the exact client certificate Terraform passed in `PLUGIN_CLIENT_CERT`.
//!
//! Terraform's client certificate is ECDSA P-521 with `CA:TRUE`: ring cannot
//! verify P-521 signatures and the stock webpki verifier rejects a CA
//! certificate used as an end entity, so we use the aws-lc-rs backend with a
//! verifier that pins the certificate's exact bytes.

use std::fmt;
use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme,
};
use time::{Duration, OffsetDateTime};

/// Environment variable through which Terraform passes its client certificate.
pub(super) const CLIENT_CERT_ENV: &str = "PLUGIN_CLIENT_CERT";

/// Why TLS could not be set up.
#[derive(Debug)]
pub(super) struct TlsError(String);

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TlsError {}

/// The TLS side of one launch: the server configuration and the certificate to announce.
pub(super) struct AutoMtls {
    /// The server certificate (DER), announced in the handshake line.
    pub server_cert_der: Vec<u8>,
    /// The rustls configuration: our certificate, the pinned client, ALPN `h2`.
    pub config: Arc<ServerConfig>,
}

impl AutoMtls {
    /// Sets up mutual TLS that accepts only the certificate(s) in `client_pem`.
    pub(super) fn from_client_pem(client_pem: &str) -> Result<Self, TlsError> {
        let pinned: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(client_pem.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(|e| {
                    TlsError(format!("{CLIENT_CERT_ENV} is not a PEM certificate: {e}"))
                })?;
        if pinned.is_empty() {
            return Err(TlsError(format!("{CLIENT_CERT_ENV} holds no certificate")));
        }
        let (cert_der, key_der) = server_certificate()?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = PinnedClientCert {
            pinned,
            algorithms: provider.signature_verification_algorithms,
        };
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| TlsError(format!("TLS set-up failed: {e}")))?
            .with_client_cert_verifier(Arc::new(verifier))
            .with_single_cert(vec![CertificateDer::from(cert_der.clone())], key_der)
            .map_err(|e| TlsError(format!("TLS set-up failed: {e}")))?;
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(Self {
            server_cert_der: cert_der,
            config: Arc::new(config),
        })
    }
}

/// The certificate parameters go-plugin uses for every certificate of a
/// launch, the server's and Terraform's own: `O=HashiCorp, CN=localhost`,
/// SAN `localhost`, for server and client authentication, valid around now.
fn launch_certificate_params() -> Result<rcgen::CertificateParams, rcgen::Error> {
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()])?;
    let mut name = rcgen::DistinguishedName::new();
    name.push(rcgen::DnType::OrganizationName, "HashiCorp");
    name.push(rcgen::DnType::CommonName, "localhost");
    params.distinguished_name = name;
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::minutes(5);
    params.not_after = now + Duration::days(365);
    Ok(params)
}

/// A certificate like the one Terraform makes for each launch and passes in
/// `PLUGIN_CLIENT_CERT` (ECDSA P-521 with SHA-512, `CA:TRUE`, go-plugin's
/// key usages), for clients that talk to a provider as Terraform does: its
/// PEM, its DER and its PKCS#8 key.
pub fn terraform_like_client_certificate() -> Result<(String, Vec<u8>, Vec<u8>), String> {
    let failed = |e: rcgen::Error| format!("could not generate the client certificate: {e}");
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).map_err(failed)?;
    let mut params = launch_certificate_params().map_err(failed)?;
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::KeyAgreement,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    let cert = params.self_signed(&key).map_err(failed)?;
    Ok((cert.pem(), cert.der().to_vec(), key.serialize_der()))
}

/// A fresh self-signed P-256 certificate for `localhost`, valid around now.
fn server_certificate() -> Result<(Vec<u8>, PrivateKeyDer<'static>), TlsError> {
    let failed =
        |e: rcgen::Error| TlsError(format!("could not generate the server certificate: {e}"));
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(failed)?;
    let mut params = launch_certificate_params().map_err(failed)?;
    params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    let cert = params.self_signed(&key).map_err(failed)?;
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Ok((cert.der().to_vec(), key_der))
}

/// Accepts exactly the pinned client certificates and checks the handshake signature with aws-lc-rs.
struct PinnedClientCert {
    pinned: Vec<CertificateDer<'static>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl fmt::Debug for PinnedClientCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinnedClientCert")
            .field("pinned", &self.pinned.len())
            .finish()
    }
}

impl ClientCertVerifier for PinnedClientCert {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if self
            .pinned
            .iter()
            .any(|pin| pin.as_ref() == end_entity.as_ref())
        {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_text_that_is_not_a_certificate() {
        assert!(AutoMtls::from_client_pem("not a pem").is_err());
        assert!(AutoMtls::from_client_pem("").is_err());
    }

    #[test]
    fn accepts_a_p521_ca_certificate_and_offers_h2() {
        let (pem, _, _) = terraform_like_client_certificate().expect("certificate");
        let tls = AutoMtls::from_client_pem(&pem).expect("tls");
        assert_eq!(tls.config.alpn_protocols, vec![b"h2".to_vec()]);
        assert!(!tls.server_cert_der.is_empty());
    }
}
