/*
 * NAME
 *	crypto.c - OpenPGP through GPGME: decrypt+verify in one pass,
 *	sign+encrypt, detached signatures, and the outcome as contract values
 * SYNOPSIS
 *	#include "crypto.h"
 * DESCRIPTION
 *	A poc_crypto holds two GPGME contexts on one GnuPG home: one for
 *	the operation, one for key look-ups (a key listing on the operation
 *	context would drop the operation's results). Both are armoured,
 *	offline (no key server, no auto-key-retrieve) and in loopback
 *	pinentry mode without a passphrase callback: a protected key fails,
 *	nothing ever prompts.
 *
 *	Every call gives GPGME memory data objects only. Plaintext comes back
 *	as a GBytes whose buffer is wiped when the last reference goes.
 *
 *	Signature verdicts (see crypto.h) are decided here, not from the
 *	GPGME summary alone: a key of unknown validity in our keyring gives
 *	summary 0, yet its signature is valid; what makes it "good" is that
 *	its primary (or signing subkey) fingerprint is one we were told to
 *	trust. Several signatures: the best good one wins, else the worst.
 * DIAGNOSTICS
 *	POC_ERR_CRYPTO with the GnuPG reason in the GError: the engine failed,
 *	or the data could not be decrypted (the outcome says "failed" then).
 *	POC_ERR_NOTFOUND: a signer or recipient without a usable key.
 * SECURITY
 *	Decrypted bytes are never written anywhere; gpg itself keeps them in
 *	a pipe. Recipients are trusted as configured (ALWAYS_TRUST): the
 *	configuration, not the web of trust, says whom we write to.
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <string.h>

#include <gpgme.h>

#include "crypto.h"

struct poc_crypto {
	gpgme_ctx_t ctx;	/* operations */
	gpgme_ctx_t keyctx;	/* key look-ups */
	gsize max_plaintext;
	GHashTable *keys;	/* "s:"/"p:" + name -> gpgme_key_t, kept a minute */
	gint64 keys_at;
};

static gpgme_key_t
key_cache_get(poc_crypto *crypto, const char *name, gboolean secret)
{
	char *k = g_strdup_printf("%c:%s", secret ? 's' : 'p', name);
	gpgme_key_t key;
	gint64 now = g_get_monotonic_time();

	if (!crypto->keys || now - crypto->keys_at > 60 * G_TIME_SPAN_SECOND) {
		if (crypto->keys)
			g_hash_table_destroy(crypto->keys);
		crypto->keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						     (GDestroyNotify)gpgme_key_unref);
		crypto->keys_at = now;
	}
	key = g_hash_table_lookup(crypto->keys, k);
	g_free(k);
	if (key)
		gpgme_key_ref(key);
	return key;
}

static void
key_cache_put(poc_crypto *crypto, const char *name, gboolean secret, gpgme_key_t key)
{
	gpgme_key_ref(key);
	g_hash_table_replace(crypto->keys, g_strdup_printf("%c:%s", secret ? 's' : 'p', name), key);
}

#define POC_CRYPTO_MAX_PLAINTEXT (256 * 1024 * 1024)

static GMutex engine_lock;

static gpointer
gpgme_init_once(gpointer unused)
{
	const char *version = gpgme_check_version(NULL);

	setlocale(LC_CTYPE, "");
	gpgme_set_locale(NULL, LC_CTYPE, setlocale(LC_CTYPE, NULL));
	return (gpointer) version;
}

static int
crypto_error(GError **error, int status, const char *what, gpgme_error_t err)
{
	g_set_error(error, POC_ERROR, status, "%s: %s", what, gpgme_strerror(err));
	return status;
}

static gpgme_error_t
context_new(const char *gnupg_home, gpgme_ctx_t *out)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_error_t err;

	if ((err = gpgme_new(&ctx)) != 0)
		return err;
	if ((err = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP)) != 0
	    || (err = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL,
						gnupg_home)) != 0
	    || (err = gpgme_set_pinentry_mode(ctx, GPGME_PINENTRY_MODE_LOOPBACK)) != 0) {
		gpgme_release(ctx);
		return err;
	}
	gpgme_set_armor(ctx, 1);
	gpgme_set_textmode(ctx, 0);
	gpgme_set_offline(ctx, 1);
	gpgme_set_keylist_mode(ctx, GPGME_KEYLIST_MODE_LOCAL);
	/* A trustdb check can take seconds on a big keyring; we do not use it. */
	(void) gpgme_set_ctx_flag(ctx, "no-auto-check-trustdb", "1");
	*out = ctx;
	return 0;
}

void
poc_crypto_init(void)
{
	static GOnce once = G_ONCE_INIT;

	g_once(&once, gpgme_init_once, NULL);
}

int
poc_crypto_new(const char *gnupg_home, poc_crypto **out, GError **error)
{
	poc_crypto *crypto;
	gpgme_error_t err;

	*out = NULL;
	poc_crypto_init();
	/*
	 * GPGME learns the engine's version by running gpg the first time it is
	 * asked and caches it: one thread at a time, so that gpg runs once. A
	 * failure (a spawn that failed for want of a process or a descriptor)
	 * is tried once more before it counts.
	 */
	g_mutex_lock(&engine_lock);
	err = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP);
	if (err)
		err = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP);
	g_mutex_unlock(&engine_lock);
	if (err)
		return crypto_error(error, POC_ERR_CRYPTO, "GnuPG engine", err);
	crypto = g_new0(poc_crypto, 1);
	crypto->max_plaintext = POC_CRYPTO_MAX_PLAINTEXT;
	if ((err = context_new(gnupg_home, &crypto->ctx)) != 0
	    || (err = context_new(gnupg_home, &crypto->keyctx)) != 0) {
		poc_crypto_free(crypto);
		return crypto_error(error, POC_ERR_CRYPTO, "GPGME context", err);
	}
	*out = crypto;
	return POC_OK;
}

void
poc_crypto_free(poc_crypto *crypto)
{
	if (crypto == NULL)
		return;
	if (crypto->ctx)
		gpgme_release(crypto->ctx);
	if (crypto->keyctx)
		gpgme_release(crypto->keyctx);
	if (crypto->keys)
		g_hash_table_destroy(crypto->keys);
	g_free(crypto);
}

void
poc_crypto_set_max_plaintext(poc_crypto *crypto, gsize max)
{
	crypto->max_plaintext = max ? max : POC_CRYPTO_MAX_PLAINTEXT;
}

/* --- plaintext that wipes itself ------------------------------------- */

typedef struct wiped_block {
	size_t len;
	char data[];
} wiped_block;

static void
wiped_block_free(gpointer p)
{
	wiped_block *block = p;

	explicit_bzero(block->data, block->len);
	g_free(block);
}

/* Release a gpgme memory data object, returning its bytes (NUL-terminated). */
static GBytes *
data_to_bytes(gpgme_data_t *data, gboolean wipe)
{
	size_t len = 0;
	char *buf = gpgme_data_release_and_get_mem(*data, &len);
	wiped_block *block;

	*data = NULL;
	block = g_malloc(sizeof *block + len + 1);
	block->len = len + 1;
	if (len)
		memcpy(block->data, buf, len);
	block->data[len] = '\0';
	if (buf) {
		if (wipe)
			explicit_bzero(buf, len);
		gpgme_free(buf);
	}
	return g_bytes_new_with_free_func(block->data, len, wiped_block_free, block);
}

/*
 * A write-only data object that refuses to grow past max: gpg then fails
 * the operation (EFBIG) instead of filling memory with a decompressed bomb.
 */
typedef struct bounded_sink {
	GByteArray *buf;
	gsize max;
} bounded_sink;

static ssize_t
bounded_write(void *handle, const void *buffer, size_t size)
{
	bounded_sink *sink = handle;

	if (sink->buf->len + size > sink->max) {
		errno = EFBIG;
		return -1;
	}
	g_byte_array_append(sink->buf, buffer, size);
	return size;
}

static struct gpgme_data_cbs bounded_cbs = { NULL, bounded_write, NULL, NULL };

static void
bounded_sink_wipe(bounded_sink *sink)
{
	if (sink->buf) {
		if (sink->buf->len)
			explicit_bzero(sink->buf->data, sink->buf->len);
		g_byte_array_unref(sink->buf);
		sink->buf = NULL;
	}
}

/* The sink's bytes as a self-wiping GBytes (NUL-terminated); the sink is emptied. */
static GBytes *
bounded_sink_take(bounded_sink *sink)
{
	size_t len = sink->buf->len;
	wiped_block *block = g_malloc(sizeof *block + len + 1);

	block->len = len + 1;
	if (len)
		memcpy(block->data, sink->buf->data, len);
	block->data[len] = '\0';
	bounded_sink_wipe(sink);
	return g_bytes_new_with_free_func(block->data, len, wiped_block_free, block);
}

/* --- signature verdicts ---------------------------------------------- */

/* "0x1234 ABCD..." -> "1234ABCD..." upper case, into out (>= 41 bytes); FALSE if too long. */
static gboolean
fpr_normalise(const char *in, char *out, size_t outsize)
{
	size_t n = 0;

	if (in[0] == '0' && (in[1] == 'x' || in[1] == 'X'))
		in += 2;
	for (; *in; in++) {
		if (*in == ' ' || *in == ':')
			continue;
		if (!g_ascii_isxdigit(*in) || n + 1 >= outsize)
			return FALSE;
		out[n++] = g_ascii_toupper(*in);
	}
	out[n] = '\0';
	return n > 0;
}

static gboolean
fpr_trusted(const char *fpr, const char *const *trusted)
{
	char want[41], have[41];

	if (fpr == NULL || trusted == NULL || !fpr_normalise(fpr, have, sizeof have))
		return FALSE;
	for (; *trusted; trusted++)
		if (fpr_normalise(*trusted, want, sizeof want) && strcmp(want, have) == 0)
			return TRUE;
	return FALSE;
}

/* Worse verdicts rank higher; good is the best. */
static int
verdict_rank(poc_signature s)
{
	switch (s) {
	case POC_SIGNATURE_GOOD:
		return 0;
	case POC_SIGNATURE_UNTRUSTED:
		return 1;
	case POC_SIGNATURE_UNKNOWN_KEY:
		return 2;
	case POC_SIGNATURE_BAD:
		return 3;
	default:
		return -1;
	}
}

static poc_signature
signature_verdict(poc_crypto *crypto, gpgme_signature_t sig, const char *const *trusted,
		  char signer[41])
{
	gpgme_key_t key = NULL;
	gpgme_subkey_t sub;
	poc_signature verdict;
	gboolean revoked = FALSE, expired = FALSE;

	signer[0] = '\0';
	switch (gpg_err_code(sig->status)) {
	case GPG_ERR_NO_ERROR:
		break;
	case GPG_ERR_NO_PUBKEY:
		return POC_SIGNATURE_UNKNOWN_KEY;
	default:		/* BAD_SIGNATURE, SIG_EXPIRED, KEY_EXPIRED, CERT_REVOKED, ... */
		if (sig->fpr)
			g_strlcpy(signer, sig->fpr, 41);
		return POC_SIGNATURE_BAD;
	}
	if (sig->summary & (GPGME_SIGSUM_RED | GPGME_SIGSUM_KEY_REVOKED
			    | GPGME_SIGSUM_KEY_EXPIRED | GPGME_SIGSUM_SIG_EXPIRED))
		return POC_SIGNATURE_BAD;
	if (sig->fpr == NULL)
		return POC_SIGNATURE_BAD;
	g_strlcpy(signer, sig->fpr, 41);

	/* sig->fpr may be a subkey's; the primary fingerprint is the key's name. */
	if (!(key = key_cache_get(crypto, sig->fpr, FALSE))) {
		if (gpgme_get_key(crypto->keyctx, sig->fpr, &key, 0) != 0 || key == NULL)
			return POC_SIGNATURE_UNKNOWN_KEY;
		key_cache_put(crypto, sig->fpr, FALSE, key);
	}
	if (key->revoked)
		revoked = TRUE;
	if (key->expired)
		expired = TRUE;
	for (sub = key->subkeys; sub; sub = sub->next)
		if (sub->fpr && g_ascii_strcasecmp(sub->fpr, sig->fpr) == 0) {
			revoked |= sub->revoked;
			expired |= sub->expired;
		}
	if (revoked || expired)
		verdict = POC_SIGNATURE_BAD;
	else if (fpr_trusted(key->subkeys->fpr, trusted) || fpr_trusted(sig->fpr, trusted))
		verdict = POC_SIGNATURE_GOOD;
	else
		verdict = POC_SIGNATURE_UNTRUSTED;
	if (key->subkeys && key->subkeys->fpr)
		g_strlcpy(signer, key->subkeys->fpr, 41);
	gpgme_key_unref(key);
	return verdict;
}

/* Fold every signature of the last verify into outcome. */
static void
outcome_from_verify(poc_crypto *crypto, const char *const *trusted, poc_crypto_outcome *outcome)
{
	gpgme_verify_result_t vres = gpgme_op_verify_result(crypto->ctx);
	gpgme_signature_t sig;
	poc_signature best = POC_SIGNATURE_NONE, worst = POC_SIGNATURE_NONE;
	char best_fpr[41] = "", worst_fpr[41] = "", fpr[41];
	gint64 best_ts = 0, worst_ts = 0;

	outcome->signature = POC_SIGNATURE_NONE;
	outcome->signer[0] = '\0';
	outcome->sig_created = 0;
	if (vres == NULL)
		return;
	for (sig = vres->signatures; sig; sig = sig->next) {
		poc_signature v = signature_verdict(crypto, sig, trusted, fpr);

		if (v == POC_SIGNATURE_GOOD && best != POC_SIGNATURE_GOOD) {
			best = v;
			best_ts = sig->timestamp;
			memcpy(best_fpr, fpr, sizeof fpr);
		}
		if (verdict_rank(v) > verdict_rank(worst)) {
			worst = v;
			worst_ts = sig->timestamp;
			memcpy(worst_fpr, fpr, sizeof fpr);
		}
	}
	if (best == POC_SIGNATURE_GOOD) {
		outcome->signature = best;
		memcpy(outcome->signer, best_fpr, sizeof best_fpr);
		outcome->sig_created = best_ts;
	} else {
		outcome->signature = worst;
		memcpy(outcome->signer, worst_fpr, sizeof worst_fpr);
		outcome->sig_created = worst_ts;
	}
}

/*
 * With signer and time, this names a signature: a replay of a notice under
 * a new Message-ID shows all three again, while two notices signed in the
 * same second differ. Only 64 bits of a digest are kept: enough to tell
 * notices apart, nothing to read them by.
 */
static void
set_signed_digest(poc_crypto_outcome *outcome, const void *data, size_t len)
{
	char *hex;

	outcome->signed_digest[0] = '\0';
	if (outcome->signature == POC_SIGNATURE_NONE || !data)
		return;
	hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
	g_strlcpy(outcome->signed_digest, hex, sizeof outcome->signed_digest);
	g_free(hex);
}

/* --- decrypt and verify ------------------------------------------------ */

int
poc_crypto_decrypt_verify(poc_crypto *crypto, const void *data, size_t len,
			  const char *const *trusted, GBytes **plaintext,
			  poc_crypto_outcome *outcome, GError **error)
{
	gpgme_data_t in = NULL, out = NULL;
	bounded_sink sink = { g_byte_array_new(), crypto->max_plaintext };
	gpgme_verify_result_t vres;
	gpgme_error_t err;
	int status = POC_OK;

	memset(outcome, 0, sizeof *outcome);
	*plaintext = NULL;
	if ((err = gpgme_data_new_from_mem(&in, data, len, 0)) != 0
	    || (err = gpgme_data_new_from_cbs(&out, &bounded_cbs, &sink)) != 0) {
		status = crypto_error(error, POC_ERR_NOMEM, "GPGME data", err);
		goto cleanup;
	}
	err = gpgme_op_decrypt_verify(crypto->ctx, in, out);
	if (gpg_err_code(err) == GPG_ERR_NO_DATA) {
		/* Not encrypted: perhaps an opaque signed message (gpg --sign). */
		g_byte_array_set_size(sink.buf, 0);
		gpgme_data_seek(in, 0, SEEK_SET);
		err = gpgme_op_verify(crypto->ctx, in, NULL, out);
		vres = err == 0 ? gpgme_op_verify_result(crypto->ctx) : NULL;
		if (vres && vres->signatures) {
			outcome->decryption = POC_DECRYPTION_NONE;
			outcome_from_verify(crypto, trusted, outcome);
			*plaintext = bounded_sink_take(&sink);
			if (*plaintext)
				set_signed_digest(outcome, g_bytes_get_data(*plaintext, NULL),
						  g_bytes_get_size(*plaintext));
			goto cleanup;
		}
		outcome->decryption = POC_DECRYPTION_FAILED;
		status = crypto_error(error, POC_ERR_CRYPTO, "not an OpenPGP message",
				      err ? err : gpg_error(GPG_ERR_NO_DATA));
		goto cleanup;
	}
	if (err != 0) {
		outcome->decryption = POC_DECRYPTION_FAILED;
		status = crypto_error(error, POC_ERR_CRYPTO, "decryption failed", err);
		goto cleanup;
	}
	outcome->decryption = POC_DECRYPTION_OK;
	outcome_from_verify(crypto, trusted, outcome);
	*plaintext = bounded_sink_take(&sink);
	if (*plaintext)
		set_signed_digest(outcome, g_bytes_get_data(*plaintext, NULL),
				  g_bytes_get_size(*plaintext));

cleanup:
	if (out)
		gpgme_data_release(out);
	if (in)
		gpgme_data_release(in);
	/* Even on failure: it may hold partial plaintext. */
	bounded_sink_wipe(&sink);
	return status;
}

int
poc_crypto_verify_detached(poc_crypto *crypto, const void *data, size_t len, const void *sig,
			   size_t sig_len, const char *const *trusted,
			   poc_crypto_outcome *outcome, GError **error)
{
	gpgme_data_t signed_text = NULL, signature = NULL;
	gpgme_error_t err;
	int status = POC_OK;

	memset(outcome, 0, sizeof *outcome);
	if ((err = gpgme_data_new_from_mem(&signed_text, data, len, 0)) != 0
	    || (err = gpgme_data_new_from_mem(&signature, sig, sig_len, 0)) != 0) {
		status = crypto_error(error, POC_ERR_NOMEM, "GPGME data", err);
		goto cleanup;
	}
	err = gpgme_op_verify(crypto->ctx, signature, signed_text, NULL);
	if (err != 0) {
		/* Not a signature at all: that is a bad signature, not a gpg failure. */
		outcome->signature = POC_SIGNATURE_BAD;
		status = crypto_error(error, POC_ERR_CRYPTO, "verification failed", err);
		goto cleanup;
	}
	outcome_from_verify(crypto, trusted, outcome);
	if (outcome->signature == POC_SIGNATURE_NONE)
		outcome->signature = POC_SIGNATURE_BAD;	/* a signature part that holds none */
	set_signed_digest(outcome, data, len);

cleanup:
	if (signature)
		gpgme_data_release(signature);
	if (signed_text)
		gpgme_data_release(signed_text);
	return status;
}

int
poc_crypto_verify_inline(poc_crypto *crypto, const void *data, size_t len,
			 const char *const *trusted, GBytes **plaintext,
			 poc_crypto_outcome *outcome, GError **error)
{
	gpgme_data_t in = NULL, out = NULL;
	gpgme_error_t err;
	int status = POC_OK;

	memset(outcome, 0, sizeof *outcome);
	*plaintext = NULL;
	if ((err = gpgme_data_new_from_mem(&in, data, len, 0)) != 0
	    || (err = gpgme_data_new(&out)) != 0) {
		status = crypto_error(error, POC_ERR_NOMEM, "GPGME data", err);
		goto cleanup;
	}
	err = gpgme_op_verify(crypto->ctx, in, NULL, out);
	if (err != 0) {
		outcome->signature = POC_SIGNATURE_BAD;
		status = crypto_error(error, POC_ERR_CRYPTO, "verification failed", err);
		goto cleanup;
	}
	outcome_from_verify(crypto, trusted, outcome);
	if (outcome->signature == POC_SIGNATURE_NONE)
		outcome->signature = POC_SIGNATURE_BAD;
	*plaintext = data_to_bytes(&out, FALSE);
	if (*plaintext)
		set_signed_digest(outcome, g_bytes_get_data(*plaintext, NULL),
				  g_bytes_get_size(*plaintext));

cleanup:
	if (out)
		gpgme_data_release(out);
	if (in)
		gpgme_data_release(in);
	return status;
}

/* --- keys, signing and encrypting -------------------------------------- */

static gboolean
looks_like_fingerprint(const char *s)
{
	char fpr[65];

	return fpr_normalise(s, fpr, sizeof fpr) && (strlen(fpr) == 40 || strlen(fpr) == 64);
}

static gboolean
key_usable(gpgme_key_t key, gboolean for_signing)
{
	if (key->revoked || key->expired || key->disabled || key->invalid)
		return FALSE;
	return for_signing ? key->can_sign && key->secret : key->can_encrypt;
}

/*
 * One usable key for name: a fingerprint, or an address (matched as
 * "<addr>" so that "a@x" does not find "ba@x"). NULL when none.
 */
static gpgme_key_t find_key_uncached(poc_crypto *crypto, const char *name, gboolean secret);

static gpgme_key_t
find_key(poc_crypto *crypto, const char *name, gboolean secret)
{
	gpgme_key_t found;

	if ((found = key_cache_get(crypto, name, secret)))
		return found;
	found = find_key_uncached(crypto, name, secret);
	if (found)
		key_cache_put(crypto, name, secret, found);
	return found;
}

static gpgme_key_t
find_key_uncached(poc_crypto *crypto, const char *name, gboolean secret)
{
	gpgme_key_t key = NULL, found = NULL;
	char *pattern;

	if (looks_like_fingerprint(name)) {
		char fpr[65];

		fpr_normalise(name, fpr, sizeof fpr);
		if (gpgme_get_key(crypto->keyctx, fpr, &key, secret) == 0 && key
		    && key_usable(key, secret))
			return key;
		if (key)
			gpgme_key_unref(key);
		return NULL;
	}
	pattern = strchr(name, '<') ? g_strdup(name) : g_strdup_printf("<%s>", name);
	if (gpgme_op_keylist_start(crypto->keyctx, pattern, secret) == 0) {
		while (gpgme_op_keylist_next(crypto->keyctx, &key) == 0) {
			if (found == NULL && key_usable(key, secret))
				found = key;
			else
				gpgme_key_unref(key);
		}
		gpgme_op_keylist_end(crypto->keyctx);
	}
	g_free(pattern);
	return found;
}

static int
set_signer(poc_crypto *crypto, const char *sign_key, GError **error)
{
	gpgme_key_t key;
	gpgme_error_t err;

	gpgme_signers_clear(crypto->ctx);
	if (sign_key == NULL)
		return POC_OK;	/* gpg's default-key, or the first secret key */
	if ((key = find_key(crypto, sign_key, TRUE)) == NULL) {
		g_set_error(error, POC_ERROR, POC_ERR_NOTFOUND,
			    "no usable secret key for signing as %s", sign_key);
		return POC_ERR_NOTFOUND;
	}
	err = gpgme_signers_add(crypto->ctx, key);
	gpgme_key_unref(key);
	if (err != 0)
		return crypto_error(error, POC_ERR_CRYPTO, "signer", err);
	return POC_OK;
}

int
poc_crypto_sign_encrypt(poc_crypto *crypto, const char *sign_key,
			const char *const *recipients, const void *data, size_t len,
			GBytes **armoured, GError **error)
{
	gpgme_key_t *keys = NULL;
	gpgme_data_t in = NULL, out = NULL;
	gpgme_encrypt_result_t eres;
	gpgme_sign_result_t sres;
	gpgme_error_t err;
	guint n = 0, i;
	int status = POC_OK;

	*armoured = NULL;
	if (recipients == NULL || recipients[0] == NULL) {
		g_set_error(error, POC_ERROR, POC_ERR_INVAL, "no recipient to encrypt to");
		return POC_ERR_INVAL;
	}
	n = g_strv_length((char **) recipients);
	keys = g_new0(gpgme_key_t, n + 1);
	for (i = 0; i < n; i++)
		if ((keys[i] = find_key(crypto, recipients[i], FALSE)) == NULL) {
			g_set_error(error, POC_ERROR, POC_ERR_NOTFOUND,
				    "no usable encryption key for %s", recipients[i]);
			status = POC_ERR_NOTFOUND;
			goto cleanup;
		}
	if ((status = set_signer(crypto, sign_key, error)) != POC_OK)
		goto cleanup;
	if ((err = gpgme_data_new_from_mem(&in, data, len, 0)) != 0
	    || (err = gpgme_data_new(&out)) != 0) {
		status = crypto_error(error, POC_ERR_NOMEM, "GPGME data", err);
		goto cleanup;
	}
	err = gpgme_op_encrypt_sign(crypto->ctx, keys, GPGME_ENCRYPT_ALWAYS_TRUST, in, out);
	eres = gpgme_op_encrypt_result(crypto->ctx);
	sres = gpgme_op_sign_result(crypto->ctx);
	if (err != 0) {
		status = crypto_error(error, POC_ERR_CRYPTO, "sign and encrypt", err);
		goto cleanup;
	}
	if ((eres && eres->invalid_recipients) || sres == NULL || sres->invalid_signers
	    || sres->signatures == NULL) {
		g_set_error(error, POC_ERROR, POC_ERR_CRYPTO,
			    "sign and encrypt: a recipient or the signer was refused");
		status = POC_ERR_CRYPTO;
		goto cleanup;
	}
	*armoured = data_to_bytes(&out, FALSE);

cleanup:
	gpgme_signers_clear(crypto->ctx);
	if (out)
		gpgme_data_release(out);
	if (in)
		gpgme_data_release(in);
	for (i = 0; keys && i < n; i++)
		if (keys[i])
			gpgme_key_unref(keys[i]);
	g_free(keys);
	return status;
}

int
poc_crypto_sign_detached(poc_crypto *crypto, const char *sign_key, const void *data,
			 size_t len, GBytes **armoured_sig, GError **error)
{
	gpgme_data_t in = NULL, out = NULL;
	gpgme_sign_result_t sres;
	gpgme_error_t err;
	int status;

	*armoured_sig = NULL;
	if ((status = set_signer(crypto, sign_key, error)) != POC_OK)
		goto cleanup;
	if ((err = gpgme_data_new_from_mem(&in, data, len, 0)) != 0
	    || (err = gpgme_data_new(&out)) != 0) {
		status = crypto_error(error, POC_ERR_NOMEM, "GPGME data", err);
		goto cleanup;
	}
	err = gpgme_op_sign(crypto->ctx, in, out, GPGME_SIG_MODE_DETACH);
	sres = gpgme_op_sign_result(crypto->ctx);
	if (err != 0) {
		status = crypto_error(error, POC_ERR_CRYPTO, "sign", err);
		goto cleanup;
	}
	if (sres == NULL || sres->invalid_signers || sres->signatures == NULL) {
		g_set_error(error, POC_ERROR, POC_ERR_CRYPTO, "sign: the signer was refused");
		status = POC_ERR_CRYPTO;
		goto cleanup;
	}
	*armoured_sig = data_to_bytes(&out, FALSE);

cleanup:
	gpgme_signers_clear(crypto->ctx);
	if (out)
		gpgme_data_release(out);
	if (in)
		gpgme_data_release(in);
	return status;
}

/* --- key inspection (pocmilter -n) ------------------------------------- */

int
poc_crypto_key_info_get(poc_crypto *crypto, const char *name, gboolean secret,
			poc_crypto_key_info *info, GError **error)
{
	gpgme_key_t key = NULL;
	char *pattern;

	memset(info, 0, sizeof *info);
	if (looks_like_fingerprint(name)) {
		char fpr[65];

		fpr_normalise(name, fpr, sizeof fpr);
		if (gpgme_get_key(crypto->keyctx, fpr, &key, secret) != 0)
			key = NULL;
	} else {
		pattern = strchr(name, '<') ? g_strdup(name) : g_strdup_printf("<%s>", name);
		if (gpgme_op_keylist_start(crypto->keyctx, pattern, secret) == 0) {
			gpgme_key_t k;

			while (gpgme_op_keylist_next(crypto->keyctx, &k) == 0) {
				if (key == NULL || (!key_usable(key, secret) && key_usable(k, secret))) {
					if (key)
						gpgme_key_unref(key);
					key = k;
				} else {
					gpgme_key_unref(k);
				}
			}
			gpgme_op_keylist_end(crypto->keyctx);
		}
		g_free(pattern);
	}
	(void) error;
	if (key == NULL)
		return POC_OK;
	info->found = TRUE;
	info->usable = key_usable(key, secret);
	info->expired = key->expired;
	info->revoked = key->revoked;
	if (key->subkeys) {
		info->expires = key->subkeys->expires;
		if (key->subkeys->fpr)
			g_strlcpy(info->fpr, key->subkeys->fpr, sizeof info->fpr);
	}
	gpgme_key_unref(key);
	return POC_OK;
}

int
poc_crypto_secret_key_count(poc_crypto *crypto)
{
	gpgme_key_t k;
	int n = 0;

	if (gpgme_op_keylist_start(crypto->keyctx, NULL, 1) != 0)
		return -1;
	while (gpgme_op_keylist_next(crypto->keyctx, &k) == 0) {
		n++;
		gpgme_key_unref(k);
	}
	gpgme_op_keylist_end(crypto->keyctx);
	return n;
}
