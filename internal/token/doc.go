// Package token owns the federation tokens connectfed hands out: their format, the signing keys
// that sign them, and minting and verifying them. A token carries every claim its holder needs
// and is verified with an HMAC alone, so the hot path never touches the database; the store
// keeps the signing keys and, for revocation and refresh-token reuse detection, the ids of
// revoked families and used refresh tokens, never a token.
//
// It must not know HTTP (how a token travels: headers, query strings, JSON bodies) nor Connect
// semantics (what an instance, a user or a region means, who may receive a token, how long a
// token should live). The caller decides all of that and hands this package opaque strings and
// durations.
//
// # Format
//
// A token is
//
//	prefix payload "." mac
//
// where prefix is "cfa1_" for an access token, "cfr1_" for a refresh token, "cfs1_" for a
// sign-in token and "cfb1_" for a browser session ("cf" for connectfed, "a", "r", "s" or "b"
// for the kind, "1" for the format version), payload is the base64url encoding, without
// padding, of the binary payload below, and mac is the base64url encoding, without padding, of
// HMAC-SHA256(key, prefix payload): the MAC covers the exact text before the dot, prefix
// included, so a token of one kind can never pass as another kind. Every character is in
// [A-Za-z0-9_.-], so a token needs no escaping in a URL, a header or JSON. The
// prefix lets secret scanners and humans tell the kinds apart; a scanner may match
//
//	cf[arsb]1_[A-Za-z0-9_-]{83,}\.[A-Za-z0-9_-]{43}
//
// Base64 is decoded strictly (no padding, no line breaks, zero trailing bits), so each token
// has exactly one spelling: a changed character always changes the token's meaning or fails
// the MAC, and Hash identifies a token unambiguously.
//
// # Payload, version 1
//
//	offset size
//	0      1    version, 1
//	1      1    kind: 1 access, 2 refresh, 3 sign-in, 4 session; must agree with the prefix
//	2      16   token id, random
//	18     16   family id: the refresh-rotation family, random when a Pair starts one
//	34     8    issued-at, Unix seconds, big-endian two's complement
//	42     8    expires-at, likewise; greater than issued-at
//	50     ...  six strings, each one length byte (1..128) then that many bytes, in order:
//	            signing key id, account id, region, instance id, user id, access key id
//
// Nothing may follow the last string. Ids appear in Claims as 32 lowercase hex digits. The
// binary layout, rather than JSON, keeps tokens short and minting and verification within a
// few microseconds with one allocation each; the version byte and the prefix's digit leave
// room for another layout later.
package token
