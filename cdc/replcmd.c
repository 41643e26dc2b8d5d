/*
 * replcmd.c - the replication command grammar (replcmd.h).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cdc/replcmd.h"

typedef enum TokKind { T_END, T_WORD, T_QUOTED, T_STRING, T_NUMBER, T_LSN, T_PUNCT, T_BAD } TokKind;

typedef struct Lexer {
	const char *p;
	TokKind kind;
	char tok[1024]; /* the token: word lower-cased, quotes removed */
	bool too_long;
	uint64_t lsn;
	char *err;
	size_t errlen;
} Lexer;

static bool fail(Lexer *lx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(Lexer *lx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(lx->err, lx->errlen, fmt, ap);
	va_end(ap);
	return false;
}

static void put(Lexer *lx, size_t *n, char c)
{
	if (*n + 1 < sizeof(lx->tok))
		lx->tok[(*n)++] = c;
	else
		lx->too_long = true;
}

static bool is_word_start(unsigned char c) { return isalpha(c) || c == '_' || c >= 0x80; }
static bool is_word_char(unsigned char c) { return isalnum(c) || c == '_' || c == '$' || c >= 0x80; }

/* "hex/hex" at p: its length, 0 when not an LSN. */
static size_t lsn_len(const char *p)
{
	size_t i = 0;
	while (isxdigit((unsigned char)p[i]))
		i++;
	if (i == 0 || i > 8 || p[i] != '/')
		return 0;
	size_t j = i + 1;
	while (isxdigit((unsigned char)p[j]))
		j++;
	if (j == i + 1 || j - i - 1 > 8 || is_word_char((unsigned char)p[j]))
		return 0;
	return j;
}

/* The next token into lx->kind / lx->tok. */
static void next(Lexer *lx)
{
	const char *p = lx->p;
	size_t n = 0;
	lx->too_long = false;
	while (isspace((unsigned char)*p))
		p++;
	size_t l;
	if (!*p) {
		lx->kind = T_END;
	} else if ((l = lsn_len(p)) > 0) {
		lx->kind = T_LSN;
		memcpy(lx->tok, p, l);
		n = l;
		p += l;
	} else if (is_word_start((unsigned char)*p)) {
		lx->kind = T_WORD;
		while (is_word_char((unsigned char)*p))
			put(lx, &n, (char)tolower((unsigned char)*p++));
	} else if (isdigit((unsigned char)*p)) {
		lx->kind = T_NUMBER;
		while (isdigit((unsigned char)*p))
			put(lx, &n, *p++);
		if (is_word_char((unsigned char)*p))
			lx->kind = T_BAD;
	} else if (*p == '"' || *p == '\'') {
		char q = *p++;
		lx->kind = q == '"' ? T_QUOTED : T_STRING;
		for (;;) {
			if (!*p) {
				lx->kind = T_BAD;
				break;
			}
			if (*p == q && p[1] == q) {
				put(lx, &n, q);
				p += 2;
			} else if (*p == q) {
				p++;
				break;
			} else {
				put(lx, &n, *p++);
			}
		}
		if (lx->kind == T_QUOTED && n == 0)
			lx->kind = T_BAD; /* zero-length delimited identifier */
	} else if (strchr("(),;", *p)) {
		lx->kind = T_PUNCT;
		put(lx, &n, *p++);
	} else {
		lx->kind = T_BAD;
		put(lx, &n, *p++);
	}
	lx->tok[n] = 0;
	lx->p = p;
}

static bool is_word(const Lexer *lx, const char *w) { return lx->kind == T_WORD && strcmp(lx->tok, w) == 0; }
static bool is_punct(const Lexer *lx, char c) { return lx->kind == T_PUNCT && lx->tok[0] == c; }

static bool syntax_error(Lexer *lx)
{
	if (lx->kind == T_END)
		return fail(lx, "syntax error at end of input");
	return fail(lx, "syntax error at or near \"%s\"", lx->tok);
}

/* A name: a word or a quoted identifier, into out. */
static bool name(Lexer *lx, char *out, size_t n)
{
	if (lx->kind != T_WORD && lx->kind != T_QUOTED)
		return syntax_error(lx);
	if (lx->too_long || strlen(lx->tok) >= n)
		return fail(lx, "identifier \"%.40s...\" is too long", lx->tok);
	snprintf(out, n, "%s", lx->tok);
	next(lx);
	return true;
}

static bool lsn(Lexer *lx, uint64_t *out)
{
	if (lx->kind != T_LSN || !cdc_lsn_parse(lx->tok, out))
		return syntax_error(lx);
	next(lx);
	return true;
}

static bool number(Lexer *lx, int64_t *out)
{
	if (lx->kind != T_NUMBER || strlen(lx->tok) > 18)
		return syntax_error(lx);
	*out = strtoll(lx->tok, NULL, 10);
	next(lx);
	return true;
}

/* Keep a value in cmd->text. */
static const char *keep(CdcCmd *cmd, Lexer *lx, const char *v)
{
	size_t n = strlen(v) + 1;
	if (cmd->used + n > sizeof(cmd->text)) {
		fail(lx, "replication command options are too long");
		return NULL;
	}
	char *at = cmd->text + cmd->used;
	memcpy(at, v, n);
	cmd->used += n;
	return at;
}

/* ( name [value] [, ...] ): value a string, number, word or LSN. */
static bool option_list(Lexer *lx, CdcCmd *cmd)
{
	next(lx); /* ( */
	for (;;) {
		if (cmd->nopts == CDC_MAX_OPTIONS)
			return fail(lx, "too many options");
		CdcOption *o = &cmd->opts[cmd->nopts];
		if (!name(lx, o->name, sizeof(o->name)))
			return false;
		o->value = NULL;
		if (lx->kind == T_STRING || lx->kind == T_NUMBER || lx->kind == T_WORD || lx->kind == T_LSN) {
			if (lx->too_long)
				return fail(lx, "the value of option \"%s\" is too long", o->name);
			if (!(o->value = keep(cmd, lx, lx->tok)))
				return false;
			next(lx);
		}
		cmd->nopts++;
		if (is_punct(lx, ')')) {
			next(lx);
			return true;
		}
		if (!is_punct(lx, ','))
			return syntax_error(lx);
		next(lx);
	}
}

bool cdc_parse_bool(const char *v, bool *out)
{
	if (!v) {
		*out = true;
		return true;
	}
	static const char *const yes[] = {"true", "on", "1", "yes", "t", "y"};
	static const char *const no[] = {"false", "off", "0", "no", "f", "n"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
			*out = strcasecmp(v, yes[i]) == 0;
			return true;
		}
	}
	return false;
}

static bool create_slot(Lexer *lx, CdcCmd *cmd)
{
	if (!name(lx, cmd->slot, sizeof(cmd->slot)))
		return false;
	if (is_word(lx, "temporary")) {
		cmd->temporary = true;
		next(lx);
	}
	if (is_word(lx, "physical")) {
		cmd->physical = true;
		next(lx);
	} else if (is_word(lx, "logical")) {
		next(lx);
		if (!name(lx, cmd->plugin, sizeof(cmd->plugin)))
			return false;
	} else {
		return syntax_error(lx);
	}
	if (is_punct(lx, '(')) {
		if (!option_list(lx, cmd))
			return false;
		for (int i = 0; i < cmd->nopts; i++) {
			const CdcOption *o = &cmd->opts[i];
			bool b;
			if (strcmp(o->name, "snapshot") == 0 && o->value) {
				if (strcmp(o->value, "export") == 0)
					cmd->snapshot = CDC_SNAPSHOT_EXPORT;
				else if (strcmp(o->value, "use") == 0)
					cmd->snapshot = CDC_SNAPSHOT_USE;
				else if (strcmp(o->value, "nothing") == 0)
					cmd->snapshot = CDC_SNAPSHOT_NOTHING;
				else
					return fail(lx, "unrecognized value for CREATE_REPLICATION_SLOT option \"snapshot\": \"%s\"",
						    o->value);
			} else if (strcmp(o->name, "two_phase") == 0 && cdc_parse_bool(o->value, &b)) {
				cmd->two_phase = b;
			} else if (strcmp(o->name, "reserve_wal") == 0 && cdc_parse_bool(o->value, &b)) {
				/* physical slots only; accepted and meaningless here */
			} else {
				return fail(lx, "unrecognized option: %s", o->name);
			}
		}
		cmd->nopts = 0;
		return true;
	}
	/* the old keywords */
	for (;;) {
		if (is_word(lx, "export_snapshot"))
			cmd->snapshot = CDC_SNAPSHOT_EXPORT;
		else if (is_word(lx, "noexport_snapshot"))
			cmd->snapshot = CDC_SNAPSHOT_NOTHING;
		else if (is_word(lx, "use_snapshot"))
			cmd->snapshot = CDC_SNAPSHOT_USE;
		else if (is_word(lx, "two_phase"))
			cmd->two_phase = true;
		else if (!is_word(lx, "reserve_wal"))
			return true;
		next(lx);
	}
}

static bool start(Lexer *lx, CdcCmd *cmd)
{
	if (is_word(lx, "slot")) {
		next(lx);
		if (!name(lx, cmd->slot, sizeof(cmd->slot)))
			return false;
	}
	if (is_word(lx, "logical")) {
		next(lx);
		if (!cmd->slot[0])
			return syntax_error(lx);
		if (!lsn(lx, &cmd->lsn))
			return false;
		return !is_punct(lx, '(') || option_list(lx, cmd);
	}
	cmd->physical = true;
	if (is_word(lx, "physical"))
		next(lx);
	if (!lsn(lx, &cmd->lsn))
		return false;
	if (is_word(lx, "timeline")) {
		int64_t tli;
		next(lx);
		return number(lx, &tli);
	}
	return true;
}

bool cdc_cmd_parse(const char *sql, CdcCmd *cmd, char *err, size_t errlen)
{
	memset(cmd, 0, sizeof(*cmd));
	Lexer lx = {.p = sql, .err = err, .errlen = errlen};
	next(&lx);
	static const struct {
		const char *word;
		CdcCmdKind kind;
	} words[] = {
		{"identify_system", CDC_CMD_IDENTIFY_SYSTEM},
		{"show", CDC_CMD_SHOW},
		{"timeline_history", CDC_CMD_TIMELINE_HISTORY},
		{"read_replication_slot", CDC_CMD_READ_SLOT},
		{"base_backup", CDC_CMD_BASE_BACKUP},
		{"create_replication_slot", CDC_CMD_CREATE_SLOT},
		{"drop_replication_slot", CDC_CMD_DROP_SLOT},
		{"start_replication", CDC_CMD_START},
		{"dosql_changes", CDC_CMD_CHANGES},
		{"dosql_advance", CDC_CMD_ADVANCE},
		{"dosql_slots", CDC_CMD_SLOTS},
		{"dosql_acquire", CDC_CMD_ACQUIRE},
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (is_word(&lx, words[i].word))
			cmd->kind = words[i].kind;
	if (cmd->kind == CDC_CMD_SQL)
		return true;
	next(&lx);
	bool ok = true;
	int64_t n;
	switch (cmd->kind) {
	case CDC_CMD_SQL:
	case CDC_CMD_IDENTIFY_SYSTEM:
	case CDC_CMD_SLOTS:
		break;
	case CDC_CMD_SHOW:
		/* a setting name, possibly qualified: custom.name */
		ok = name(&lx, cmd->show, sizeof(cmd->show));
		while (ok && lx.kind == T_BAD && lx.tok[0] == '.') {
			size_t l = strlen(cmd->show);
			next(&lx);
			if (l + 1 < sizeof(cmd->show))
				cmd->show[l++] = '.';
			cmd->show[l] = 0;
			ok = name(&lx, cmd->show + l, sizeof(cmd->show) - l);
		}
		break;
	case CDC_CMD_TIMELINE_HISTORY:
		ok = number(&lx, &n);
		cmd->from = n;
		break;
	case CDC_CMD_READ_SLOT:
		ok = name(&lx, cmd->slot, sizeof(cmd->slot));
		break;
	case CDC_CMD_BASE_BACKUP:
		/* refused as a whole; its options are not looked at */
		return true;
	case CDC_CMD_CREATE_SLOT:
		ok = create_slot(&lx, cmd);
		break;
	case CDC_CMD_DROP_SLOT:
		ok = name(&lx, cmd->slot, sizeof(cmd->slot));
		if (ok && is_word(&lx, "wait")) {
			cmd->wait = true;
			next(&lx);
		}
		break;
	case CDC_CMD_START:
		ok = start(&lx, cmd);
		break;
	case CDC_CMD_CHANGES:
		ok = number(&lx, &cmd->from) && number(&lx, &cmd->limit);
		break;
	case CDC_CMD_ADVANCE:
		ok = name(&lx, cmd->slot, sizeof(cmd->slot)) && lsn(&lx, &cmd->lsn);
		break;
	case CDC_CMD_ACQUIRE:
		ok = name(&lx, cmd->slot, sizeof(cmd->slot)) && number(&lx, &cmd->from);
		break;
	}
	if (ok && is_punct(&lx, ';'))
		next(&lx);
	if (ok && lx.kind != T_END)
		ok = syntax_error(&lx);
	return ok;
}

const char *cdc_cmd_option(const CdcCmd *cmd, const char *name, bool *present)
{
	for (int i = 0; i < cmd->nopts; i++)
		if (strcmp(cmd->opts[i].name, name) == 0) {
			if (present)
				*present = true;
			return cmd->opts[i].value;
		}
	if (present)
		*present = false;
	return NULL;
}

void cdc_lsn_format(char *out, size_t n, uint64_t lsn)
{
	snprintf(out, n, "%X/%X", (unsigned)(lsn >> 32), (unsigned)(lsn & 0xFFFFFFFFu));
}

bool cdc_lsn_parse(const char *s, uint64_t *lsn)
{
	unsigned hi, lo;
	int used = 0;
	size_t l = 0;
	while (isxdigit((unsigned char)s[l]))
		l++;
	if (l == 0 || l > 8 || s[l] != '/')
		return false;
	size_t m = 0;
	while (isxdigit((unsigned char)s[l + 1 + m]))
		m++;
	if (m == 0 || m > 8 || s[l + 1 + m] || sscanf(s, "%X/%X%n", &hi, &lo, &used) != 2 || (size_t)used != l + 1 + m)
		return false;
	*lsn = ((uint64_t)hi << 32) | lo;
	return true;
}

bool cdc_slot_name_valid(const char *name, char *err, size_t errlen)
{
	size_t n = strlen(name);
	if (n == 0) {
		snprintf(err, errlen, "replication slot name \"%s\" is too short", name);
		return false;
	}
	if (n > 63) {
		snprintf(err, errlen, "replication slot name \"%s\" is too long", name);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') || name[i] == '_')) {
			snprintf(err, errlen, "replication slot name \"%s\" contains invalid character", name);
			return false;
		}
	return true;
}
