/*
 * t_log.c - the process logger (lib/log.c): level names, the level filter,
 * the file target, escaping of control characters, and reopening the file
 * after rotation.  Everything is written under a fresh temporary folder;
 * stderr output is switched off so the test's own output stays readable.
 */
#include "config.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib.h"
#include "unit.h"

static char tmpdir[] = "/tmp/sg-unit-XXXXXX";

static int
group_setup(void **state)
{
	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	sg_log_init("t_log", SG_LOG_INFO);
	sg_log_set_stderr(false);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	sg_log_set_file(NULL);
	return unit_rmtree(tmpdir);
}

/* Points the file target at a new file NAME in the temporary folder. */
static void
log_to(char *path, size_t size, const char *name)
{
	snprintf(path, size, "%s/%s", tmpdir, name);
	assert_int_equal(sg_log_set_file(path), 0);
}

/* The whole file at path (caller frees), or NULL when it does not exist. */
static char *
slurp(const char *path)
{
	return sg_read_file(path, 1024 * 1024, NULL);
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void
level_names_round_trip(void **state)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };

	(void)state;
	for (int i = SG_LOG_ERROR; i <= SG_LOG_DEBUG; i++) {
		assert_string_equal(sg_log_level_name((enum sg_log_level)i), names[i]);
		assert_int_equal(sg_log_level_parse(names[i]), i);
		assert_int_equal(sg_log_level_parse(sg_log_level_name((enum sg_log_level)i)), i);
	}
}

static void
unknown_level_names_are_refused(void **state)
{
	static const char *const bad[] = { "", "warning", "trace", "err", "errors", "info " };

	(void)state;
	for (size_t i = 0; i < SG_NELEM(bad); i++)
		assert_int_equal(sg_log_level_parse(bad[i]), -1);
}

static void
set_level_is_what_get_level_returns(void **state)
{
	(void)state;
	sg_log_set_level(SG_LOG_DEBUG);
	assert_int_equal(sg_log_get_level(), SG_LOG_DEBUG);
	sg_log_set_level(SG_LOG_ERROR);
	assert_int_equal(sg_log_get_level(), SG_LOG_ERROR);
	sg_log_set_level(SG_LOG_INFO);
}

static void
warn_level_keeps_only_error_and_warn(void **state)
{
	char path[256], *text;

	(void)state;
	log_to(path, sizeof(path), "levels.log");
	sg_log_set_level(SG_LOG_WARN);
	sg_log(SG_LOG_ERROR, "m-error %d", 1);
	sg_log(SG_LOG_WARN, "m-warn %d", 2);
	sg_log(SG_LOG_INFO, "m-info %d", 3);
	sg_log(SG_LOG_DEBUG, "m-debug %d", 4);
	sg_log_error("m-macro-error");
	sg_log_warn("m-macro-warn");
	sg_log_info("m-macro-info");
	sg_log_debug("m-macro-debug");
	sg_log_set_level(SG_LOG_INFO);
	sg_log_set_file(NULL);
	text = slurp(path);
	assert_non_null(text);
	assert_int_equal(count_lines(text), 4);
	assert_non_null(strstr(text, ": error: m-error 1\n"));
	assert_non_null(strstr(text, ": warn: m-warn 2\n"));
	assert_non_null(strstr(text, ": error: m-macro-error\n"));
	assert_non_null(strstr(text, ": warn: m-macro-warn\n"));
	assert_null(strstr(text, "m-info"));
	assert_null(strstr(text, "m-debug"));
	assert_null(strstr(text, "m-macro-info"));
	assert_null(strstr(text, "m-macro-debug"));
	free(text);
}

static void
file_line_names_ident_pid_and_level(void **state)
{
	char path[256], want[128], *text;

	(void)state;
	log_to(path, sizeof(path), "format.log");
	sg_log(SG_LOG_ERROR, "hello %s", "world");
	sg_log_set_file(NULL);
	text = slurp(path);
	assert_non_null(text);
	snprintf(want, sizeof(want), " t_log[%ld]: error: hello world\n", (long)getpid());
	assert_non_null(strstr(text, want));
	/* "YYYY-MM-DDTHH:MM:SSZ " in front, whatever the date. */
	assert_true(strlen(text) > 21);
	assert_int_equal(text[4], '-');
	assert_int_equal(text[7], '-');
	assert_int_equal(text[10], 'T');
	assert_int_equal(text[13], ':');
	assert_int_equal(text[16], ':');
	assert_int_equal(text[19], 'Z');
	assert_int_equal(text[20], ' ');
	free(text);
}

static void
control_characters_are_escaped_on_one_line(void **state)
{
	char path[256], *text;

	(void)state;
	log_to(path, sizeof(path), "escape.log");
	sg_log(SG_LOG_ERROR, "a\nb\x1b[31mc\td\x7f"
	                     "e\rf");
	sg_log_set_file(NULL);
	text = slurp(path);
	assert_non_null(text);
	assert_int_equal(count_lines(text), 1);
	assert_non_null(strstr(text, ": a\\x0ab\\x1b[31mc\\x09d\\x7fe\\x0df\n"));
	assert_null(strchr(text, '\x1b'));
	assert_null(strchr(text, '\r'));
	free(text);
}

static void
forged_second_line_stays_on_the_first(void **state)
{
	char path[256], *text;

	(void)state;
	log_to(path, sizeof(path), "forge.log");
	sg_log(SG_LOG_WARN, "user %s", "bob\n2030-01-01T00:00:00Z t_log[1]: error: forged");
	sg_log_set_file(NULL);
	text = slurp(path);
	assert_non_null(text);
	assert_int_equal(count_lines(text), 1);
	assert_non_null(strstr(text, "bob\\x0a2030-01-01T00:00:00Z t_log[1]: error: forged\n"));
	free(text);
}

static void
reopen_after_rename_creates_a_new_file(void **state)
{
	char path[256], rotated[300], *text;

	(void)state;
	log_to(path, sizeof(path), "rotate.log");
	snprintf(rotated, sizeof(rotated), "%s.1", path);
	sg_log_error("before rotation");
	assert_int_equal(rename(path, rotated), 0);
	sg_log_error("between rename and reopen");
	assert_int_equal(sg_log_reopen(), 0);
	sg_log_error("after rotation");
	sg_log_set_file(NULL);

	text = slurp(path);
	assert_non_null(text); /* created again at the path */
	assert_int_equal(count_lines(text), 1);
	assert_non_null(strstr(text, "after rotation"));
	free(text);

	text = slurp(rotated);
	assert_non_null(text);
	assert_int_equal(count_lines(text), 2);
	assert_non_null(strstr(text, "before rotation"));
	assert_non_null(strstr(text, "between rename and reopen"));
	assert_null(strstr(text, "after rotation"));
	free(text);
}

static void
reopen_without_a_file_is_a_no_op(void **state)
{
	(void)state;
	sg_log_set_file(NULL);
	assert_int_equal(sg_log_reopen(), 0);
}

static void
set_file_appends_to_an_existing_file(void **state)
{
	char path[256], *text;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/append.log", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("old line\n", f);
	fclose(f);
	log_to(path, sizeof(path), "append.log");
	sg_log_error("new line");
	sg_log_set_file(NULL);
	text = slurp(path);
	assert_non_null(text);
	assert_int_equal(strncmp(text, "old line\n", 9), 0);
	assert_non_null(strstr(text + 9, "new line\n"));
	free(text);
}

static void
unopenable_file_fails_and_keeps_the_old_target(void **state)
{
	char path[256], bad[300], *text;

	(void)state;
	log_to(path, sizeof(path), "keep.log");
	snprintf(bad, sizeof(bad), "%s/no-such-dir/x.log", tmpdir);
	assert_int_equal(sg_log_set_file(bad), -1);
	sg_log_error("still here");
	sg_log_set_file(NULL);
	text = slurp(path);
	assert_non_null(text);
	assert_non_null(strstr(text, "still here"));
	free(text);
}

static void
closed_file_target_gets_nothing(void **state)
{
	char path[256], *text;

	(void)state;
	log_to(path, sizeof(path), "closed.log");
	sg_log_error("written");
	assert_int_equal(sg_log_set_file(NULL), 0);
	sg_log_error("not written");
	text = slurp(path);
	assert_non_null(text);
	assert_non_null(strstr(text, "written"));
	assert_null(strstr(text, "not written"));
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(level_names_round_trip),
		cmocka_unit_test(unknown_level_names_are_refused),
		cmocka_unit_test(set_level_is_what_get_level_returns),
		cmocka_unit_test(warn_level_keeps_only_error_and_warn),
		cmocka_unit_test(file_line_names_ident_pid_and_level),
		cmocka_unit_test(control_characters_are_escaped_on_one_line),
		cmocka_unit_test(forged_second_line_stays_on_the_first),
		cmocka_unit_test(reopen_after_rename_creates_a_new_file),
		cmocka_unit_test(reopen_without_a_file_is_a_no_op),
		cmocka_unit_test(set_file_appends_to_an_existing_file),
		cmocka_unit_test(unopenable_file_fails_and_keeps_the_old_target),
		cmocka_unit_test(closed_file_target_gets_nothing),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
