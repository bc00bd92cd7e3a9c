import { wallClock } from '../wall-clock.js';
import { webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

/** PEM-encoded TLS material of one server start. */
export interface ServerCertificates {
  /** The CA certificate that signed the serving certificate; goes into every kubeconfig. */
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

function pemKey(der: ArrayBuffer): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

function randomSerial(): string {
  // A positive serial number: clear the top bit of the first byte.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

/**
 * Generates a CA and a serving certificate it signs (ECDSA P-256, valid one day, SANs
 * 127.0.0.1, ::1, localhost and `extraHosts`), as kube-apiserver's self-signed bootstrap does.
 */
export async function generateCertificates(extraHosts: readonly string[] = []): Promise<ServerCertificates> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const notBefore = new Date(wallClock() - 60_000);
  const notAfter = new Date(wallClock() + 24 * 3600_000);
  const [caKeys, serverKeys] = await Promise.all([
    webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']),
    webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']),
  ]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: 'CN=kubekit-envtest-ca',
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const ips = ['127.0.0.1', '::1', ...extraHosts.filter((host) => /^[\d.]+$|:/.test(host))];
  const dns = ['localhost', ...extraHosts.filter((host) => !/^[\d.]+$|:/.test(host))];
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: 'CN=kubekit-envtest',
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...dns.map((value) => ({ type: 'dns' as const, value })),
        ...ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
    ],
  });
  const serverKey = await webcrypto.subtle.exportKey('pkcs8', serverKeys.privateKey);
  return { caCert: ca.toString('pem'), serverCert: server.toString('pem'), serverKey: pemKey(serverKey) };
}
