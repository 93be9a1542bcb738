/*
 * NAME
 *	test_crypto - crypto.c against throwaway keys made by make-keys.sh
 * DESCRIPTION
 *	The coordinator's home signs and encrypts; the vendor's home
 *	(pocmilter's) decrypts and verifies. Keys are made when the test
 *	starts, in a short /tmp directory (gpg-agent socket length), and the
 *	agents are stopped and the directory removed at the end.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "testutil.h"

static char *keydir;
static char *fpr_coord, *fpr_vendor, *fpr_third, *fpr_unknown, *fpr_expired, *fpr_revoked;
static poc_crypto *coord, *vendor;

static void
keys_setup(void)
{
	GError *error = NULL;

	keydir = keys_make();
	fpr_coord = keys_env(keydir, "FPR_COORD");
	fpr_vendor = keys_env(keydir, "FPR_VENDOR");
	fpr_third = keys_env(keydir, "FPR_THIRD");
	fpr_unknown = keys_env(keydir, "FPR_UNKNOWN");
	fpr_expired = keys_env(keydir, "FPR_EXPIRED");
	fpr_revoked = keys_env(keydir, "FPR_REVOKED");

	char *h = g_build_filename(keydir, "coord", NULL);
	if (poc_crypto_new(h, &coord, &error) != POC_OK)
		exit(99);
	g_free(h);
	h = g_build_filename(keydir, "vendor", NULL);
	if (poc_crypto_new(h, &vendor, &error) != POC_OK)
		exit(99);
	g_free(h);
}

static void
keys_teardown(void)
{
	poc_crypto_free(coord);
	poc_crypto_free(vendor);
	keys_remove(keydir);
}

static const char notice[] = "JPCERT#12345678\r\n概要情報のお知らせです。\r\n";

static GBytes *
encrypt_as(const char *signer, const char *to)
{
	const char *rcpt[] = { to, NULL };
	GBytes *out = NULL;
	GError *error = NULL;
	int rc = poc_crypto_sign_encrypt(coord, signer, rcpt, notice, strlen(notice), &out, &error);

	ck_assert_msg(rc == POC_OK, "sign_encrypt: %s", error ? error->message : "?");
	return out;
}

START_TEST(test_roundtrip_good)
{
	const char *trusted[] = { fpr_coord, NULL };
	GBytes *cipher = encrypt_as(fpr_coord, fpr_vendor), *plain = NULL;
	poc_crypto_outcome o;
	gsize n;
	const char *c = g_bytes_get_data(cipher, &n);

	ck_assert(g_str_has_prefix(c, "-----BEGIN PGP MESSAGE-----"));
	ck_assert_int_eq(poc_crypto_decrypt_verify(vendor, c, n, trusted, &plain, &o, NULL), POC_OK);
	ck_assert_int_eq(o.decryption, POC_DECRYPTION_OK);
	ck_assert_int_eq(o.signature, POC_SIGNATURE_GOOD);
	ck_assert_str_eq(o.signer, fpr_coord);
	ck_assert_mem_eq(g_bytes_get_data(plain, NULL), notice, strlen(notice));
	g_bytes_unref(plain);
	g_bytes_unref(cipher);
}
END_TEST

START_TEST(test_signer_by_address_and_untrusted)
{
	/* Trusted lists are matched by fingerprint, whatever the spacing and case. */
	char *spaced = g_ascii_strdown(fpr_coord, -1);
	const char *trusted[] = { spaced, NULL }, *none[] = { NULL };
	GBytes *cipher = encrypt_as("vuls@jpcert.or.jp", "security@vendor.example"), *plain;
	poc_crypto_outcome o;
	gsize n;
	const char *c = g_bytes_get_data(cipher, &n);

	ck_assert_int_eq(poc_crypto_decrypt_verify(vendor, c, n, trusted, &plain, &o, NULL), POC_OK);
	ck_assert_int_eq(o.signature, POC_SIGNATURE_GOOD);
	g_bytes_unref(plain);
	ck_assert_int_eq(poc_crypto_decrypt_verify(vendor, c, n, none, &plain, &o, NULL), POC_OK);
	ck_assert_int_eq(o.signature, POC_SIGNATURE_UNTRUSTED);
	ck_assert_str_eq(o.signer, fpr_coord);
	g_bytes_unref(plain);
	ck_assert_int_eq(poc_crypto_decrypt_verify(vendor, c, n, NULL, &plain, &o, NULL), POC_OK);
	ck_assert_int_eq(o.signature, POC_SIGNATURE_UNTRUSTED);
	g_bytes_unref(plain);
	g_bytes_unref(cipher);
	g_free(spaced);
}
END_TEST

START_TEST(test_unknown_key)
{
	const char *trusted[] = { fpr_coord, NULL };
	GBytes *cipher = encrypt_as(fpr_unknown, fpr_vendor), *plain;
	poc_crypto_outcome o;
	gsize n;
	const char *c = g_bytes_get_data(cipher, &n);

	ck_assert_int_eq(poc_crypto_decrypt_verify(vendor, c, n, trusted, &plain, &o, NULL), POC_OK);
	ck_assert_int_eq(o.decryption, POC_DECRYPTION_OK);
	ck_assert_int_eq(o.signature, POC_SIGNATURE_UNKNOWN_KEY);
	g_bytes_unref(plain);
	g_bytes_unref(cipher);
}
END_TEST

START_TEST(test_wrong_recipient)
{
	const char *trusted[] = { fpr_coord, NULL };
	GBytes *cipher = encrypt_as(fpr_coord, fpr_third), *plain = NULL;
	poc_crypto_outcome o;
	GError *error = NULL;
	gsize n;
	const char *c = g_bytes_get_data(cipher, &n);

	ck_assert_int_eq(poc_crypto_decrypt_verify(vendor, c, n, trusted, &plain, &o, &error),
			 POC_ERR_CRYPTO);
	ck_assert_int_eq(o.decryption, POC_DECRYPTION_FAILED);
	ck_assert_ptr_null(plain);
	ck_assert_ptr_nonnull(error);
	g_clear_error(&error);
	g_bytes_unref(cipher);
}
END_TEST

START_TEST(test_garbage)
{
	static const char junk[] = "-----BEGIN PGP MESSAGE-----\n\nhello\n-----END PGP MESSAGE-----\n";
	GBytes *plain = NULL;
	poc_crypto_outcome o;

	ck_assert_int_eq(poc_crypto_decrypt_verify(vendor, junk, strlen(junk), NULL, &plain, &o, NULL),
			 POC_ERR_CRYPTO);
	ck_assert_int_eq(o.decryption, POC_DECRYPTION_FAILED);
	ck_assert_int_eq(poc_crypto_decrypt_verify(vendor, "", 0, NULL, &plain, &o, NULL),
			 POC_ERR_CRYPTO);
	ck_assert_ptr_null(plain);
}
END_TEST

START_TEST(test_missing_recipient_key)
{
	const char *rcpt[] = { fpr_vendor, "nobody@nowhere.example", NULL };
	GBytes *out = NULL;
	GError *error = NULL;

	ck_assert_int_eq(poc_crypto_sign_encrypt(coord, fpr_coord, rcpt, "x", 1, &out, &error),
			 POC_ERR_NOTFOUND);
	ck_assert_ptr_null(out);
	ck_assert(strstr(error->message, "nobody@nowhere.example") != NULL);
	g_clear_error(&error);
	/* The vendor home has no secret key for the coordinator. */
	rcpt[1] = NULL;
	ck_assert_int_eq(poc_crypto_sign_encrypt(vendor, fpr_coord, rcpt, "x", 1, &out, &error),
			 POC_ERR_NOTFOUND);
	g_clear_error(&error);
	ck_assert_int_eq(poc_crypto_sign_encrypt(vendor, NULL, NULL, "x", 1, &out, &error),
			 POC_ERR_INVAL);
	g_clear_error(&error);
}
END_TEST

START_TEST(test_detached)
{
	const char *trusted[] = { fpr_coord, NULL };
	GBytes *sig = NULL;
	poc_crypto_outcome o;
	gsize n;
	char *copy = g_strdup(notice);

	ck_assert_int_eq(poc_crypto_sign_detached(coord, fpr_coord, notice, strlen(notice), &sig,
						  NULL), POC_OK);
	const char *s = g_bytes_get_data(sig, &n);
	ck_assert(g_str_has_prefix(s, "-----BEGIN PGP SIGNATURE-----"));
	ck_assert_int_eq(poc_crypto_verify_detached(vendor, notice, strlen(notice), s, n, trusted,
						    &o, NULL), POC_OK);
	ck_assert_int_eq(o.signature, POC_SIGNATURE_GOOD);
	ck_assert_int_eq(o.decryption, POC_DECRYPTION_NONE);
	copy[3] = 'X';
	ck_assert_int_eq(poc_crypto_verify_detached(vendor, copy, strlen(copy), s, n, trusted, &o,
						    NULL), POC_OK);
	ck_assert_int_eq(o.signature, POC_SIGNATURE_BAD);
	g_free(copy);
	g_bytes_unref(sig);
}
END_TEST

START_TEST(test_default_signer)
{
	const char *trusted[] = { fpr_vendor, NULL };
	GBytes *sig = NULL;
	poc_crypto_outcome o;
	gsize n;

	/* The vendor home has one secret key: the default signer. */
	ck_assert_int_eq(poc_crypto_sign_detached(vendor, NULL, "ack", 3, &sig, NULL), POC_OK);
	const char *s = g_bytes_get_data(sig, &n);
	ck_assert_int_eq(poc_crypto_verify_detached(vendor, "ack", 3, s, n, trusted, &o, NULL),
			 POC_OK);
	ck_assert_int_eq(o.signature, POC_SIGNATURE_GOOD);
	ck_assert_str_eq(o.signer, fpr_vendor);
	g_bytes_unref(sig);
}
END_TEST

START_TEST(test_plaintext_limit)
{
	/* 8 MiB of zeros compress to a few KiB: a bomb in miniature. */
	const char *rcpt[] = { fpr_vendor, NULL };
	gsize big = 8 * 1024 * 1024, n;
	char *zeros = g_malloc0(big);
	GBytes *cipher = NULL, *plain = NULL;
	poc_crypto_outcome o;
	GError *error = NULL;

	ck_assert_int_eq(poc_crypto_sign_encrypt(coord, fpr_coord, rcpt, zeros, big, &cipher, NULL),
			 POC_OK);
	const char *c = g_bytes_get_data(cipher, &n);
	ck_assert_uint_lt(n, 1024 * 1024);
	poc_crypto_set_max_plaintext(vendor, 1024 * 1024);
	ck_assert_int_eq(poc_crypto_decrypt_verify(vendor, c, n, NULL, &plain, &o, &error),
			 POC_ERR_CRYPTO);
	ck_assert_int_eq(o.decryption, POC_DECRYPTION_FAILED);
	ck_assert_ptr_null(plain);
	g_clear_error(&error);
	poc_crypto_set_max_plaintext(vendor, 0);	/* back to the default */
	ck_assert_int_eq(poc_crypto_decrypt_verify(vendor, c, n, NULL, &plain, &o, NULL), POC_OK);
	ck_assert_uint_eq(g_bytes_get_size(plain), big);
	g_bytes_unref(plain);
	g_bytes_unref(cipher);
	g_free(zeros);
}
END_TEST

Suite *
crypto_suite(void)
{
	Suite *s = suite_create("crypto");
	TCase *tc = tcase_create("gpgme");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_roundtrip_good);
	tcase_add_test(tc, test_signer_by_address_and_untrusted);
	tcase_add_test(tc, test_unknown_key);
	tcase_add_test(tc, test_wrong_recipient);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_missing_recipient_key);
	tcase_add_test(tc, test_detached);
	tcase_add_test(tc, test_default_signer);
	tcase_add_test(tc, test_plaintext_limit);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int failed;

	keys_setup();
	/* One process: the contexts and the agents are made once. */
	failed = run_suite(crypto_suite(), CK_NOFORK);
	keys_teardown();
	(void) fpr_expired;
	(void) fpr_revoked;
	return failed;
}
