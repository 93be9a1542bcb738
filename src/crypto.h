/*
 * NAME
 *	crypto.h - OpenPGP through GPGME: decrypt+verify in one pass,
 *	sign+encrypt, and the outcome as contract values
 * DESCRIPTION
 *	A poc_crypto is a GPGME context on one GnuPG home; it is not
 *	thread-safe: one per thread.
 *
 *	Plaintext is returned in memory only (GBytes); GPGME is given memory
 *	data objects, never files. The caller must not write it anywhere.
 *
 *	signature outcomes: good = a valid signature by a fingerprint in
 *	trusted (primary or subkey fingerprint match); untrusted = valid by
 *	another key; bad = does not verify, or the key is expired or
 *	revoked; unknown-key = the key is not in the keyring; none.
 */
#ifndef POC_CRYPTO_H
#define POC_CRYPTO_H

#include "poc.h"

G_BEGIN_DECLS

typedef struct poc_crypto poc_crypto;

typedef struct poc_crypto_outcome {
	poc_decryption decryption;
	poc_signature signature;
	char signer[41];	/* hex fingerprint of the signing (primary) key, or "" */
	gint64 sig_created;	/* creation time of that signature (0: none) */
	char signed_digest[17];	/* first 64 bits of SHA-256 of what was signed, hex, or "" */
} poc_crypto_outcome;

/* Once per process, before any thread starts: GPGME's library set-up and
 * setlocale(LC_CTYPE), which is not safe while other threads run.
 * poc_crypto_new() calls it too (a no-op after the first time). */
void poc_crypto_init(void);
int poc_crypto_new(const char *gnupg_home, poc_crypto **out, GError **error);
void poc_crypto_free(poc_crypto *crypto);
/*
 * Plaintext longer than this (default 256 MiB) fails decryption with
 * "File too large": a small compressed message can expand without end.
 * poc_notice_read() sets it to the reader's max_size.
 */
void poc_crypto_set_max_plaintext(poc_crypto *crypto, gsize max);

/* An OpenPGP message (armoured or binary); signature inside verified too. */
int poc_crypto_decrypt_verify(poc_crypto *crypto, const void *data, size_t len,
			      const char *const *trusted, GBytes **plaintext,
			      poc_crypto_outcome *outcome, GError **error);
/* A detached signature (multipart/signed). */
int poc_crypto_verify_detached(poc_crypto *crypto, const void *data, size_t len,
			       const void *sig, size_t sig_len, const char *const *trusted,
			       poc_crypto_outcome *outcome, GError **error);
/* A clear-signed or inline-signed text; plaintext is the text signed. */
int poc_crypto_verify_inline(poc_crypto *crypto, const void *data, size_t len,
			     const char *const *trusted, GBytes **plaintext,
			     poc_crypto_outcome *outcome, GError **error);

/*
 * Sign with sign_key (fingerprint, or address; NULL: the default secret
 * key) and encrypt to every recipient (fingerprints or addresses); the
 * result is ASCII-armoured. A recipient without a usable key:
 * POC_ERR_NOTFOUND, nothing is produced.
 */
int poc_crypto_sign_encrypt(poc_crypto *crypto, const char *sign_key,
			    const char *const *recipients, const void *data, size_t len,
			    GBytes **armoured, GError **error);
/* A detached, armoured signature (for clear acknowledgements where allowed). */
int poc_crypto_sign_detached(poc_crypto *crypto, const char *sign_key, const void *data,
			     size_t len, GBytes **armoured_sig, GError **error);

/* What the keyring holds for one key name (fingerprint or address). */
typedef struct poc_crypto_key_info {
	gboolean found;		/* any key of that name, usable or not */
	gboolean usable;	/* not expired, revoked, disabled; can encrypt (or sign, secret) */
	gboolean expired, revoked;
	gint64 expires;		/* of the primary key; 0: never */
	char fpr[65];
} poc_crypto_key_info;

/* Look a key up (no cache). POC_OK, with info->found telling. */
int poc_crypto_key_info_get(poc_crypto *crypto, const char *name, gboolean secret,
			    poc_crypto_key_info *info, GError **error);
/* How many secret keys the home holds (-1 when it cannot be listed). */
int poc_crypto_secret_key_count(poc_crypto *crypto);

G_END_DECLS

#endif
