//go:build !wasip1

package microcore

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"time"
)

// The sidecar's credentials (docs/protocol.md, "Credentials"), after
// hashicorp/go-plugin's AutoMTLS: the kernel passes its public certificate in
// MICROCORE_KERNEL_CERT; the sidecar makes a key pair that lives in its memory
// alone and prints the certificate in its handshake line. Each side then
// accepts only the other's certificate, so nothing another process can read
// from this one's environment or command line lets it call the kernel as this
// sidecar, or call this sidecar as the kernel.

// peerName is the name both certificates carry and both ends check: on a Unix
// socket the name means nothing, the pinned certificate does.
const peerName = "localhost"

// newCert makes the sidecar's key pair and a self-signed certificate for it.
// The validity starts an hour back (a peer's clock may lag) and ends far
// ahead: the key dies with the process, and an expiry would only break a
// reconnect of a long-running sidecar.
func newCert(commonName string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName},
		DNSNames:              []string{peerName},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// kernelOnly is a pool holding the kernel's certificate alone: a chain must
// end there, and only the kernel holds its key.
func kernelOnly(kernel *x509.Certificate) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(kernel)
	return pool
}

// serverTLS is the Plugin server's: it answers only a client showing the kernel's certificate.
func serverTLS(own tls.Certificate, kernel *x509.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{own},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    kernelOnly(kernel),
		MinVersion:   tls.VersionTLS12,
	}
}

// clientTLS is the tool clients': it shows our certificate (the kernel knows
// us by it) and talks only to a server showing the kernel's.
func clientTLS(own tls.Certificate, kernel *x509.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{own},
		RootCAs:      kernelOnly(kernel),
		ServerName:   peerName,
		MinVersion:   tls.VersionTLS12,
	}
}
