// SPDX-License-Identifier: GPL-2.0
/*
 * zdt_init: the init of the modular run's initramfs (tools/modules.py).
 *
 * Does under QEMU what a developer does on a real machine with modprobe:
 * loads kunit.ko, the fixture and each suite module, in the order
 * /zdt-init.conf gives ("load <file>"), each with the "<module>.<param>="
 * words of the kernel command line as its parameters (as modprobe passes
 * them from /proc/cmdline), so kunit.py's kunit.filter_glob= and the
 * fixture's coherent= reach them.  Each suite runs while its module loads
 * and prints its own KTAP document.  Then it reads debugfs
 * kunit/<suite>/results for each "results <suite>" line, unloads every
 * module in reverse order, prints every kernel splat record of /dev/kmsg
 * to the console as "zdt-init: kmsg: <text>" and reboots (kunit.py runs QEMU with -no-reboot,
 * so QEMU exits).  What it does goes to /dev/kmsg as "zdt-init: " lines,
 * in order with the kernel's own (printk_devkmsg=on: not rate-limited);
 * tools/modules.py reads them.
 *
 * Built with the kernel tree's nolibc (tools/include/nolibc) and the uapi
 * headers of the build dir, for the arch under test, static.
 */
#include <linux/reboot.h>

/* nolibc's raw system calls: my_syscallN up to 7.2, __nolibc_syscallN after. */
#ifdef __nolibc_syscall3
#define zdt_syscall2	__nolibc_syscall2
#define zdt_syscall3	__nolibc_syscall3
#else
#define zdt_syscall2	my_syscall2
#define zdt_syscall3	my_syscall3
#endif

#define CONF		"/zdt-init.conf"
#define MAX_MODULES	32
#define BUF_SIZE	8192
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static int kmsg = -1;
static char cmdline[BUF_SIZE];
static char conf[BUF_SIZE];
static char *loaded[MAX_MODULES];
static int nr_loaded;

/* dst += src, within size bytes (nolibc has no strcat). */
static void append(char *dst, size_t size, const char *src)
{
	size_t n = strlen(dst);

	while (*src && n < size - 1)
		dst[n++] = *src++;
	dst[n] = '\0';
}

static void say(const char *a, const char *b, const char *c)
{
	char line[512] = "zdt-init: ";

	append(line, sizeof(line) - 1, a);
	append(line, sizeof(line) - 1, b);
	append(line, sizeof(line) - 1, c);
	append(line, sizeof(line), "\n");
	write(kmsg >= 0 ? kmsg : 1, line, strlen(line));
}

/* "<what> <name>: <num>", or "<what>: <num>" without a name. */
static void say_num(const char *what, const char *name, long num)
{
	char text[128] = "";
	char digits[24];
	int i = sizeof(digits) - 1;
	int neg = num < 0;

	digits[i] = '\0';
	if (neg)
		num = -num;
	do {
		digits[--i] = '0' + num % 10;
		num /= 10;
	} while (num && i > 1);
	if (neg)
		digits[--i] = '-';
	if (*name) {
		append(text, sizeof(text), " ");
		append(text, sizeof(text), name);
	}
	append(text, sizeof(text), ": ");
	say(what, text, digits + i);
}

static long read_file(const char *path, char *buf, size_t size)
{
	long n, total = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf + total, size - 1 - total)) > 0 &&
	       (size_t)total + n < size - 1)
		total += n;
	if (n > 0)
		total += n;
	buf[total] = '\0';
	close(fd);
	return total;
}

/* The size of a file whose size stat() does not know (debugfs). */
static long file_bytes(const char *path)
{
	char buf[512];
	long n, total = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	close(fd);
	return total;
}

/* "dir/zone-device_x.ko" -> "zone_device_x", the name the kernel gives it. */
static void module_name(const char *file, char *name, size_t size)
{
	const char *base = file, *p;
	size_t n = 0;

	for (p = file; *p; p++)
		if (*p == '/')
			base = p + 1;
	for (p = base; *p && *p != '.' && n < size - 1; p++)
		name[n++] = *p == '-' ? '_' : *p;
	name[n] = '\0';
}

/* The "<name>.<param>=<value>" words of the command line, as "<param>=<value> ...". */
static void module_params(const char *name, char *params, size_t size)
{
	size_t len = strlen(name), n = 0;
	const char *w = cmdline;

	while (*w) {
		const char *end = w;

		while (*end && *end != ' ' && *end != '\n')
			end++;
		if ((size_t)(end - w) > len + 1 && !strncmp(w, name, len) && w[len] == '.') {
			const char *p;

			if (n && n < size - 1)
				params[n++] = ' ';
			for (p = w + len + 1; p < end && n < size - 1; p++)
				params[n++] = *p;
		}
		w = *end ? end + 1 : end;
	}
	params[n] = '\0';
}

static void load_module(char *file)
{
	char name[64], params[512];
	int fd, ret;

	module_name(file, name, sizeof(name));
	module_params(name, params, sizeof(params));
	fd = open(file, O_RDONLY);
	if (fd < 0) {
		say("cannot open ", file, "");
		return;
	}
	say("loading ", file, params[0] ? " (with parameters)" : "");
	ret = zdt_syscall3(__NR_finit_module, fd, params, 0);
	close(fd);
	if (ret < 0) {
		say_num("load failed", file, ret);
		return;
	}
	if (nr_loaded < MAX_MODULES)
		loaded[nr_loaded++] = file;
}

static void read_results(const char *suite)
{
	char path[128] = "/sys/kernel/debug/kunit/";

	append(path, sizeof(path), suite);
	append(path, sizeof(path), "/results");
	say_num("debugfs results of", suite, file_bytes(path));
}

static void unload_all(void)
{
	int unloaded = 0;

	while (nr_loaded) {
		char name[64];
		int ret;

		module_name(loaded[--nr_loaded], name, sizeof(name));
		ret = zdt_syscall2(__NR_delete_module, name, O_NONBLOCK);
		if (ret < 0)
			say_num("unload failed", name, ret);
		else
			unloaded++;
	}
	say_num("unloaded modules", "", unloaded);
}

/* How the first line of a kernel splat starts (tools/results.py's list). */
static const char * const splat_prefixes[] = {
	"WARNING:", "BUG:", "kernel BUG at", "Oops:", "general protection fault",
	"UBSAN:", "INFO: task ", "rcu: INFO:", "INFO: rcu_", "watchdog: BUG:",
	"Kernel panic", "possible circular locking", "inconsistent lock state",
	"possible recursive locking", "suspicious RCU usage",
};

static int is_splat(const char *text)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(splat_prefixes); i++)
		if (!strncmp(text, splat_prefixes[i], strlen(splat_prefixes[i])))
			return 1;
	return 0;
}

/*
 * Every record of the kernel log that starts a splat, to the console as
 * "zdt-init: kmsg: <text>", whatever the console loglevel let through:
 * run.py looks for splats outside any case there.  /dev/kmsg gives one
 * record a read ("<pri>,<seq>,<ts>,<flags>;<text>\n" and " KEY=value"
 * lines); -EPIPE is a record overwritten meanwhile, -EAGAIN the end.
 */
static void relay_splats(void)
{
	char rec[1024];
	char *text, *end;
	long n;
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd < 0) {
		say("cannot open /dev/kmsg to read", "", "");
		return;
	}
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		text = strchr(rec, ';');
		if (!text)
			continue;
		text++;
		end = strchr(text, '\n');
		if (end)
			*end = '\0';
		if (is_splat(text)) {
			write(1, "zdt-init: kmsg: ", 16);
			write(1, text, strlen(text));
			write(1, "\n", 1);
		}
	}
	close(fd);
}

int main(void)
{
	char *line, *next;
	int fd;

	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	/* /dev/kmsg drops writes past 10 in 5 s unless told otherwise. */
	fd = open("/proc/sys/kernel/printk_devkmsg", O_WRONLY);
	if (fd >= 0) {
		write(fd, "on\n", 3);
		close(fd);
	}
	kmsg = open("/dev/kmsg", O_WRONLY);
	if (read_file("/proc/cmdline", cmdline, sizeof(cmdline)) < 0)
		say("cannot read /proc/cmdline", "", "");
	if (read_file(CONF, conf, sizeof(conf)) < 0)
		say("cannot read ", CONF, "");
	for (line = conf; *line; line = next) {
		next = line;
		while (*next && *next != '\n')
			next++;
		if (*next)
			*next++ = '\0';
		if (!strncmp(line, "load ", 5))
			load_module(line + 5);
		else if (!strncmp(line, "results ", 8))
			read_results(line + 8);
	}
	unload_all();
	relay_splats();
	say("done", "", "");
	reboot(LINUX_REBOOT_CMD_RESTART);
	return 0;
}
