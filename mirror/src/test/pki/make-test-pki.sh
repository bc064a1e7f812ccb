#!/bin/sh
# Regenerates the throw-away test PKI used by unit tests (mirror and daemon). These keys protect
# nothing; they exist so tests read keys exactly as kubeadm and openssl write them:
#   PKCS#1 RSA  "BEGIN RSA PRIVATE KEY"  kubeadm's apiserver-etcd-client.key (Go x509.MarshalPKCS1PrivateKey)
#   SEC1 EC     "BEGIN EC PRIVATE KEY"   kubeadm with ECDSA (Go x509.MarshalECPrivateKey: curve OID + public key)
#   PKCS#8      "BEGIN PRIVATE KEY"      openssl's default, cert-manager
# Certificates are valid for 100 years, except expired-server.crt (January 2020).
# Usage: sh mirror/src/test/pki/make-test-pki.sh   (from the repository root; needs openssl 3)
set -eu
root=$(cd "$(dirname "$0")/../../../.." && pwd)
out="$root/mirror/src/test/resources/io/fedsync/mirror/tls"
daemon="$root/daemon/src/test/resources/tls"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
days=36500

ca() { # name subject
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days $days -subj "$2" -keyout "$1.key" -out "$1.crt" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign,digitalSignature 2>/dev/null
}
ext() { # file eku [san]
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n' "$2" > "$1"
  if [ $# -ge 3 ]; then echo "subjectAltName=$3" >> "$1"; fi
}
sign() { # key-file cert-out subject eku [san]
  openssl req -new -key "$1" -subj "$3" -out csr 2>/dev/null
  ext ext "$4" ${5:-}
  openssl x509 -req -sha256 -days $days -in csr -CA ca.crt -CAkey ca.key -set_serial "0x$(openssl rand -hex 8)" \
    -extfile ext -out "$2" 2>/dev/null
}

ca ca "/CN=etcd-ca"
ca other-ca "/CN=other-ca"
client="/O=system:masters/CN=kube-apiserver-etcd-client"

openssl genrsa -traditional -out client-rsa-pkcs1.key 2048 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in client-rsa-pkcs1.key -out client-rsa-pkcs8.key
sign client-rsa-pkcs1.key client-rsa.crt "$client" clientAuth

openssl ecparam -name prime256v1 -genkey -noout -out client-ec-sec1.key
openssl pkcs8 -topk8 -nocrypt -in client-ec-sec1.key -out client-ec-pkcs8.key
sign client-ec-sec1.key client-ec.crt "$client" clientAuth
# openssl ecparam -genkey without -noout: an EC PARAMETERS block, then the key
openssl ecparam -name prime256v1 -genkey -out client-ec-with-params.key

openssl ecparam -name secp384r1 -genkey -noout -out client-ec384-sec1.key
sign client-ec384-sec1.key client-ec384.crt "$client" clientAuth

openssl genpkey -algorithm ed25519 -out client-ed25519-pkcs8.key
sign client-ed25519-pkcs8.key client-ed25519.crt "$client" clientAuth

openssl genrsa -traditional -out other-rsa-pkcs1.key 2048 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out other-ec-sec1.key
openssl pkcs8 -topk8 -v2 aes-256-cbc -passout pass:test -in client-rsa-pkcs1.key -out encrypted-pkcs8.key
openssl rsa -traditional -aes128 -passout pass:test -in client-rsa-pkcs1.key -out encrypted-pkcs1.key 2>/dev/null

openssl genrsa -traditional -out server.key 2048 2>/dev/null
sign server.key server.crt "/CN=etcd-server" serverAuth,clientAuth "IP:127.0.0.1,DNS:localhost"
sign server.key wrong-name-server.crt "/CN=etcd-elsewhere" serverAuth,clientAuth "DNS:etcd.example.com,IP:10.9.8.7"
# An expired server certificate: openssl x509 cannot back-date, openssl ca can.
mkdir db && : > db/index.txt && echo 01 > db/serial
cat > ca.cnf <<CNF
[ ca ]
default_ca = test
[ test ]
database = db/index.txt
new_certs_dir = db
serial = db/serial
default_md = sha256
policy = any
unique_subject = no
[ any ]
commonName = supplied
[ server ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
CNF
openssl req -new -key server.key -subj "/CN=etcd-server" -out csr 2>/dev/null
openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -in csr -out expired-server.crt -notext \
  -startdate 20200101000000Z -enddate 20200201000000Z -extensions server 2>/dev/null
# A certificate with a server name signed by the other CA
mv ca.key ca.key.main; mv ca.crt ca.crt.main; cp other-ca.key ca.key; cp other-ca.crt ca.crt
sign server.key other-ca-server.crt "/CN=etcd-server" serverAuth,clientAuth "IP:127.0.0.1,DNS:localhost"
mv ca.key.main ca.key; mv ca.crt.main ca.crt

mkdir -p "$out" "$daemon"
for f in ca.crt other-ca.crt client-rsa.crt client-rsa-pkcs1.key client-rsa-pkcs8.key client-ec.crt client-ec-sec1.key \
    client-ec-pkcs8.key client-ec-with-params.key client-ec384.crt client-ec384-sec1.key client-ed25519.crt \
    client-ed25519-pkcs8.key other-rsa-pkcs1.key other-ec-sec1.key encrypted-pkcs8.key encrypted-pkcs1.key \
    server.crt wrong-name-server.crt expired-server.crt other-ca-server.crt; do
  cp "$f" "$out/$f"
done
for f in ca.crt client-rsa.crt client-rsa-pkcs1.key client-ec.crt client-ec-sec1.key other-rsa-pkcs1.key encrypted-pkcs8.key; do
  cp "$f" "$daemon/$f"
done
echo "wrote $out and $daemon"
