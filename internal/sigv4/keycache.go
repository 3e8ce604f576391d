package sigv4

import (
	"crypto/sha256"
	"strings"
	"sync"
)

// maxCachedKeys bounds the signing-key cache. A key is good for one day, region and service,
// so a few entries per active access key suffice; past the bound a random entry goes.
const maxCachedKeys = 1024

// keyID names a derived signing key. It holds a digest of the secret, never the secret: the
// cache lives as long as the process and should not be one more place secrets sit in clear.
type keyID struct {
	secret                [sha256.Size]byte
	date, region, service string
}

var signingKeys = struct {
	sync.RWMutex
	m map[keyID][sha256.Size]byte
}{m: make(map[keyID][sha256.Size]byte)}

// signingKey returns HMAC("AWS4"+secret, date, region, service, "aws4_request"). Hashing the
// secret for the lookup costs one SHA-256 block; deriving the key costs sixteen.
func signingKey(secret, date, region, service string, sc *scratch) [sha256.Size]byte {
	b := append(sc.mac[:0], secret...)
	id := keyID{secret: sha256.Sum256(b), date: date, region: region, service: service}
	clear(b)
	sc.mac = b[:0]

	signingKeys.RLock()
	k, ok := signingKeys.m[id]
	signingKeys.RUnlock()
	if ok {
		return k
	}
	k = deriveKey(secret, date, region, service, sc)
	// The scope strings are cut from the request; clone them so the cache does not pin it.
	id.date, id.region, id.service = strings.Clone(date), strings.Clone(region), strings.Clone(service)
	signingKeys.Lock()
	if len(signingKeys.m) >= maxCachedKeys {
		for old := range signingKeys.m {
			delete(signingKeys.m, old)
			break
		}
	}
	signingKeys.m[id] = k
	signingKeys.Unlock()
	return k
}

func deriveKey(secret, date, region, service string, sc *scratch) [sha256.Size]byte {
	seed := append(append(make([]byte, 0, 4+len(secret)), "AWS4"...), secret...)
	k := hmacSHA256(seed, date, &sc.mac)
	clear(seed)
	k = hmacSHA256(k[:], region, &sc.mac)
	k = hmacSHA256(k[:], service, &sc.mac)
	return hmacSHA256(k[:], terminator, &sc.mac)
}
