// SPDX-License-Identifier: GPL-2.0
/*
 * zdt_gcov_init: the init of the coverage run's initramfs (tools/coverage.py).
 *
 * The coverage kernel runs the built-in suites at late_initcall and, as its
 * command line says kunit_shutdown=none (configs/x86_64_coverage.py), goes
 * on to start this init.  It copies every gcov data file the kernel exports,
 * /sys/kernel/debug/gcov/<build dir>/<object>.gcda (kernel/gcov/fs.c makes
 * one from the live counters on each read), to the console, and reboots
 * (kunit.py runs QEMU with -no-reboot, so QEMU exits):
 *
 *	zdt-gcov: begin <path under debugfs gcov/> <bytes> <crc32, hex>
 *	<the file in base64, lines of 76 characters>
 *	zdt-gcov: end <path>
 *	...
 *	zdt-gcov: done <files> <bytes>
 *
 * The host (tools/coverage.py decode()) checks each file's size and CRC-32
 * (zlib's) and writes it next to the build's .gcno.  Before the copy the
 * console loglevel goes down to 1 (/proc/sys/kernel/printk), so no kernel
 * message lands inside a line of base64.
 *
 * Built like tools/zdt_init.c: static, with the kernel tree's nolibc and the
 * build dir's uapi headers (tools/modules.py build_init()).
 */
#include <asm/ioctls.h>
#include <linux/reboot.h>

/* nolibc's raw system calls: my_syscallN up to 7.2, __nolibc_syscallN after. */
#ifdef __nolibc_syscall3
#define zdt_syscall3	__nolibc_syscall3
#else
#define zdt_syscall3	my_syscall3
#endif

/* -DGCOV_ROOT=... -DZDT_GCOV_HOST: a host build that copies a directory
 * and neither mounts nor reboots (tools/test_coverage.py). */
#ifndef GCOV_ROOT
#define GCOV_ROOT	"/sys/kernel/debug/gcov"
#endif
#define MAX_FILE	(8 << 20)
#define LINE_CHARS	76

static unsigned char data[MAX_FILE];
static unsigned long files, bytes;

static void out(const char *s)
{
	write(1, s, strlen(s));
}

static void out_num(unsigned long n, int base)
{
	char digits[24];
	int i = sizeof(digits) - 1;

	digits[i] = '\0';
	do {
		digits[--i] = "0123456789abcdef"[n % base];
		n /= base;
	} while (n && i > 0);
	out(digits + i);
}

/* zlib's CRC-32 (reflected, polynomial 0xedb88320), bit by bit. */
static unsigned int crc32(const unsigned char *p, unsigned long n)
{
	unsigned int crc = 0xffffffff;
	int k;

	while (n--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320 & -(crc & 1));
	}
	return ~crc;
}

static void base64(const unsigned char *p, unsigned long n)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char line[LINE_CHARS + 2];
	int len = 0;
	unsigned long i;

	for (i = 0; i < n; i += 3) {
		unsigned int v = p[i] << 16;

		if (i + 1 < n)
			v |= p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		line[len++] = abc[(v >> 18) & 63];
		line[len++] = abc[(v >> 12) & 63];
		line[len++] = i + 1 < n ? abc[(v >> 6) & 63] : '=';
		line[len++] = i + 2 < n ? abc[v & 63] : '=';
		if (len == LINE_CHARS || i + 3 >= n) {
			line[len++] = '\n';
			write(1, line, len);
			len = 0;
		}
	}
}

static void copy_file(const char *path)
{
	long n, total = 0;
	int fd = open(path, O_RDONLY);
	const char *rel = path + sizeof(GCOV_ROOT);

	if (fd < 0) {
		out("zdt-gcov: cannot open ");
		out(rel);
		out("\n");
		return;
	}
	while ((n = read(fd, data + total, MAX_FILE - total)) > 0)
		total += n;
	close(fd);
	if (n < 0 || total == MAX_FILE) {
		out("zdt-gcov: cannot read ");
		out(rel);
		out(n < 0 ? " (read error)\n" : " (larger than the buffer)\n");
		return;
	}
	out("zdt-gcov: begin ");
	out(rel);
	out(" ");
	out_num(total, 10);
	out(" ");
	out_num(crc32(data, total), 16);
	out("\n");
	base64(data, total);
	out("zdt-gcov: end ");
	out(rel);
	out("\n");
	files++;
	bytes += total;
}

/* dst += src (nolibc has no strcat); the caller checked the room. */
static void append(char *dst, const char *src)
{
	size_t n = strlen(dst);

	while (*src)
		dst[n++] = *src++;
	dst[n] = '\0';
}

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);

	return n >= m && !strcmp(s + n - m, tail);
}

/* Every *.gcda under dir, depth first (the .gcno there are symlinks: skipped). */
static void walk(const char *dir)
{
	char buf[4096] __attribute__((aligned(8)));
	char path[1024];
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	long n;

	if (fd < 0) {
		out("zdt-gcov: cannot open ");
		out(dir);
		out("\n");
		return;
	}
	while ((n = zdt_syscall3(__NR_getdents64, fd, buf, sizeof(buf))) > 0) {
		long off = 0;

		while (off < n) {
			struct linux_dirent64 *d = (void *)(buf + off);

			off += d->d_reclen;
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
				continue;
			if (strlen(dir) + strlen(d->d_name) + 2 > sizeof(path))
				continue;
			path[0] = '\0';
			append(path, dir);
			append(path, "/");
			append(path, d->d_name);
			if (d->d_type == DT_DIR)
				walk(path);
			else if (d->d_type == DT_REG && ends_with(d->d_name, ".gcda"))
				copy_file(path);
		}
	}
	close(fd);
}

int main(void)
{
#ifndef ZDT_GCOV_HOST
	int fd;

	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	fd = open("/proc/sys/kernel/printk", O_WRONLY);
	if (fd >= 0) {
		write(fd, "1\n", 2);
		close(fd);
	}
#endif
	out("zdt-gcov: start\n");
	walk(GCOV_ROOT);
	out("zdt-gcov: done ");
	out_num(files, 10);
	out(" ");
	out_num(bytes, 10);
	out("\n");
#ifndef ZDT_GCOV_HOST
	/* tcdrain(): the last line out of the UART before the reboot message. */
	ioctl(1, TCSBRK, 1);
	reboot(LINUX_REBOOT_CMD_RESTART);
#endif
	return 0;
}
