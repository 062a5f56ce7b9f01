import { generateKeyPairSync, randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { createSecureContext, type SecureContext } from "node:tls";
import forge from "node-forge";

/** A certificate authority made for one `ward run --proxy`: its key lives only in memory and dies with the run. */
export interface LocalCa {
  /** The CA certificate (PEM) the child is told to trust. */
  certificatePem: string;
  /** A TLS context presenting a leaf certificate for `host`, signed by this CA (made once per host). */
  contextFor(host: string): SecureContext;
}

const HOUR = 3600_000;

function rsaKeys() {
  // Node's native RSA generation (forge's pure-JS one takes seconds); forge only signs.
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const privatePem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  return {
    privatePem,
    private: forge.pki.privateKeyFromPem(privatePem),
    public: forge.pki.publicKeyFromPem(publicKey.export({ type: "spki", format: "pem" }).toString()),
  };
}

function certificate(subject: string, publicKey: forge.pki.PublicKey, validHours: number) {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // Positive 128-bit serial: the high bit cleared so DER does not read it as negative.
  cert.serialNumber = `01${randomBytes(15).toString("hex")}`;
  cert.validity.notBefore = new Date(Date.now() - HOUR);
  cert.validity.notAfter = new Date(Date.now() + validHours * HOUR);
  cert.setSubject([{ name: "commonName", value: subject }]);
  return cert;
}

export function createLocalCa(): LocalCa {
  const caKeys = rsaKeys();
  const ca = certificate(`Ward agent proxy CA ${randomBytes(4).toString("hex")}`, caKeys.public, 24);
  ca.setIssuer(ca.subject.attributes);
  ca.setExtensions([
    { name: "basicConstraints", cA: true, pathLenConstraint: 0, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  ca.sign(caKeys.private, forge.md.sha256.create());
  const leafKeys = rsaKeys();
  const contexts = new Map<string, SecureContext>();
  return {
    certificatePem: forge.pki.certificateToPem(ca),
    contextFor(host) {
      const known = contexts.get(host);
      if (known) return known;
      const leaf = certificate(host, leafKeys.public, 24);
      leaf.setIssuer(ca.subject.attributes);
      leaf.setExtensions([
        { name: "basicConstraints", cA: false },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
        { name: "extKeyUsage", serverAuth: true },
        { name: "subjectAltName", altNames: [isIP(host) ? { type: 7, ip: host } : { type: 2, value: host }] },
        { name: "authorityKeyIdentifier", keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
      ]);
      leaf.sign(caKeys.private, forge.md.sha256.create());
      const context = createSecureContext({ key: leafKeys.privatePem, cert: forge.pki.certificateToPem(leaf) });
      contexts.set(host, context);
      return context;
    },
  };
}
