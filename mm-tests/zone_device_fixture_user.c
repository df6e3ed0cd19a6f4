// SPDX-License-Identifier: GPL-2.0
/*
 * User memory for the zone-device KUnit suites: private anonymous mappings
 * of the test's mm (kunit_vm_mmap()), unmapped before any device of the case
 * is torn down, and what a page mapped there looks like from outside.
 */
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pgtable.h>
#include <linux/sched/mm.h>
#include <linux/sched/sysctl.h>	/* sysctl_numa_balancing_mode */
#include <linux/slab.h>
#include <linux/swap.h>
#include <linux/syscalls.h>	/* ksys_mmap_pgoff() */
#include <linux/uaccess.h>
#include <kunit/test.h>

#include "zone_device_fixture_priv.h"
#include "../internal.h"	/* shake_folio(), do_mprotect_pkey() */

#if !ZDT_KUNIT_EXPORTS && ZDT_FIXTURE_BUILT_IN
#include <asm/tlb.h>		/* x86's cannot be included in a module */
#endif

struct zdt_mapping {
	struct kunit *test;
	struct mm_struct *mm;
	unsigned long addr;
	unsigned long len;
};

/*
 * Runs in the case's thread or, at the end of the case, in KUnit's cleanup
 * kthread, which has no mm of its own: it borrows the test's.
 */
static void zdt_unmap_action(void *data)
{
	struct zdt_mapping *m = data;
	bool borrow = !current->mm && (current->flags & PF_KTHREAD);

	if (borrow)
		kthread_use_mm(m->mm);
	if (current->mm == m->mm && vm_munmap(m->addr, m->len))
		KUNIT_FAIL(m->test, "vm_munmap(%#lx, %lu) failed", m->addr, m->len);
	if (borrow)
		kthread_unuse_mm(m->mm);
	mmput(m->mm);
	kfree(m);
}

unsigned long zdt_user_map_prot(struct kunit *test, unsigned long len,
				unsigned long prot)
{
	unsigned long addr = kunit_vm_mmap(test, NULL, 0, len, prot,
					   MAP_ANONYMOUS | MAP_PRIVATE, 0);
	struct zdt_mapping *m;

	/* 0 if KUnit could not, an error value if vm_mmap() could not. */
	KUNIT_ASSERT_TRUE_MSG(test, addr && !IS_ERR_VALUE(addr),
			      "kunit_vm_mmap(%lu bytes): %ld", len, (long)addr);
	m = kzalloc_obj(*m);
	KUNIT_ASSERT_NOT_NULL(test, m);
	m->test = test;
	m->mm = current->mm;
	m->addr = addr;
	m->len = len;
	mmget(m->mm);
	zdt_hold(test, ZDT_HELD_MAPPING, zdt_unmap_action, m);
	return addr;
}
EXPORT_SYMBOL_GPL(zdt_user_map_prot);

unsigned long zdt_user_map(struct kunit *test, unsigned long len)
{
	return zdt_user_map_prot(test, len, PROT_READ | PROT_WRITE);
}
EXPORT_SYMBOL_GPL(zdt_user_map);

unsigned long zdt_user_pages(struct kunit *test, unsigned long npages)
{
	unsigned long addr = zdt_user_map(test, npages * PAGE_SIZE), i;
	u8 buf[ZDT_DATA_LEN];

	for (i = 0; i < npages; i++) {
		zdt_fill(test, buf, sizeof(buf), i);
		KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)(addr + i * PAGE_SIZE),
						   buf, sizeof(buf)), 0);
	}
	return addr;
}
EXPORT_SYMBOL_GPL(zdt_user_pages);

/*
 * The PTE at @addr of current->mm, read under the mmap read lock and, built
 * in, the PTE table's lock.  False where no PTE table maps @addr (nothing
 * there yet, or a PMD-level entry, present or not).  A module cannot take
 * the table's lock (pte_offset_map_lock() is mm-internal): it reads the
 * entry under the mmap read lock alone, which keeps the table of an
 * anonymous mapping in place, while the case's own thread is the only one
 * changing the range; 64-bit page tables need no kmap (no HIGHPTE).
 */
pmd_t *zdt_user_pmdp(unsigned long addr)
{
	pgd_t *pgd = pgd_offset(current->mm, addr);
	p4d_t *p4d;
	pud_t *pud;

	if (pgd_none(*pgd) || pgd_bad(*pgd))
		return NULL;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d) || p4d_bad(*p4d))
		return NULL;
	pud = pud_offset(p4d, addr);
	if (pud_none(*pud) || pud_bad(*pud))
		return NULL;
	return pmd_offset(pud, addr);
}
EXPORT_SYMBOL_GPL(zdt_user_pmdp);

static bool zdt_read_pte(unsigned long addr, pte_t *out)
{
	struct mm_struct *mm = current->mm;
	bool found = false;
	pmd_t *pmdp;
	pte_t *ptep;
#ifndef MODULE
	spinlock_t *ptl;	/* the PTE table's, from pte_offset_map_lock() */
#else
	pmd_t pmd;
#endif

	mmap_read_lock(mm);
	pmdp = zdt_user_pmdp(addr);
	if (!pmdp)
		goto out;
#ifndef MODULE
	ptep = pte_offset_map_lock(mm, pmdp, addr, &ptl);
	if (!ptep)
		goto out;
	*out = ptep_get(ptep);
	found = true;
	pte_unmap_unlock(ptep, ptl);
#else
	pmd = pmdp_get(pmdp);
	if (IS_ENABLED(CONFIG_HIGHPTE) || !pmd_present(pmd) || pmd_leaf(pmd) || pmd_bad(pmd))
		goto out;
	ptep = pte_offset_kernel(pmdp, addr);
	*out = ptep_get(ptep);
	found = true;
#endif
out:
	mmap_read_unlock(mm);
	return found;
}

/*
 * Without GUP-fast (UML selects no HAVE_GUP_FAST) get_user_page_fast_only()
 * always fails: walk current->mm's page table under the mmap lock instead.
 * Like GUP-fast it never faults and sees a present PTE's page only.
 */
static struct page *zdt_walk_mapped_page(unsigned long addr)
{
	pte_t pte;

	if (!zdt_read_pte(addr, &pte) || !pte_present(pte) || !pfn_valid(pte_pfn(pte)))
		return NULL;
	return pte_page(pte);
}

struct page *zdt_mapped_page(unsigned long addr)
{
	struct page *page;

	if (!IS_ENABLED(CONFIG_HAVE_GUP_FAST))
		return zdt_walk_mapped_page(addr);
	if (!get_user_page_fast_only(addr, 0, &page))
		return NULL;
	put_page(page);
	return page;
}
EXPORT_SYMBOL_GPL(zdt_mapped_page);

struct page *zdt_device_private_pte(unsigned long addr, bool *write)
{
	bool w = false;
	struct page *page;
	pte_t pte;

	page = zdt_read_pte(addr, &pte) ? zdt_pte_device_private_page(pte, &w) : NULL;
	if (write)
		*write = page && w;
	return page;
}
EXPORT_SYMBOL_GPL(zdt_device_private_pte);

bool zdt_user_pte(unsigned long addr, pte_t *pte)
{
	return zdt_read_pte(addr, pte);
}
EXPORT_SYMBOL_GPL(zdt_user_pte);

struct zdt_page_state zdt_page_state(struct page *page)
{
	struct folio *folio = page_folio(page);

	return (struct zdt_page_state) {
		.refcount = folio_ref_count(folio),
		.mapcount = folio_mapcount(folio),
		.locked = folio_test_locked(folio),
	};
}
EXPORT_SYMBOL_GPL(zdt_page_state);

void zdt_expect_page_state(struct kunit *test, struct zdt_page_state now,
			   struct zdt_page_state want, const char *when)
{
	KUNIT_EXPECT_EQ_MSG(test, now.refcount, want.refcount, "refcount %s", when);
	KUNIT_EXPECT_EQ_MSG(test, now.mapcount, want.mapcount, "mapcount %s", when);
	KUNIT_EXPECT_EQ_MSG(test, now.locked, want.locked, "lock %s", when);
}
EXPORT_SYMBOL_GPL(zdt_expect_page_state);

void zdt_drain_lru(void)
{
#if ZDT_KUNIT_EXPORTS || ZDT_FIXTURE_BUILT_IN
	lru_add_drain_all();
#elif IS_ENABLED(CONFIG_MEMORY_FAILURE)
	/* lru_add_drain_all() for any folio neither slab nor hugetlb. */
	shake_folio(page_folio(ZERO_PAGE(0)));
#endif
}
EXPORT_SYMBOL_GPL(zdt_drain_lru);

#if ZDT_KUNIT_EXPORTS
int zdt_mprotect(struct kunit *test, unsigned long addr, size_t len,
		 unsigned long prot)
{
	return do_mprotect_pkey(addr, len, prot, -1);
}
#elif ZDT_FIXTURE_BUILT_IN
/* do_mprotect_pkey() (static) for a range inside one VMA. */
int zdt_mprotect(struct kunit *test, unsigned long addr, size_t len,
		 unsigned long prot)
{
	struct mm_struct *mm = current->mm;
	unsigned long end = addr + PAGE_ALIGN(len);
	struct vm_area_struct *vma, *prev;
	struct vma_iterator vmi;
	struct mmu_gather tlb;
	vm_flags_t newflags;
	int ret = -ENOMEM;

	if (mmap_write_lock_killable(mm))
		return -EINTR;
	vma_iter_init(&vmi, mm, addr);
	vma = vma_find(&vmi, end);
	if (vma && vma->vm_start <= addr && end <= vma->vm_end) {
		prev = vma_prev(&vmi);
		if (addr > vma->vm_start)
			prev = vma;
		vma = vma_find(&vmi, end);
		newflags = calc_vm_prot_bits(prot, 0) |
			   (vma->vm_flags & ~(VM_READ | VM_WRITE | VM_EXEC));
		tlb_gather_mmu(&tlb, mm);
		ret = mprotect_fixup(&vmi, &tlb, vma, &prev, addr, end, newflags);
		tlb_finish_mmu(&tlb);
	}
	mmap_write_unlock(mm);
	return ret;
}
#else
int zdt_mprotect(struct kunit *test, unsigned long addr, size_t len,
		 unsigned long prot)
{
	zdt_skip(test, ZDT_NO_MPROTECT_FIXUP);
	return -EOPNOTSUPP;
}
#endif
EXPORT_SYMBOL_GPL(zdt_mprotect);

#if ZDT_KUNIT_EXPORTS || ZDT_FIXTURE_BUILT_IN
int zdt_madvise(struct kunit *test, unsigned long addr, size_t len,
		int advice)
{
	return do_madvise(current->mm, addr, len, advice);
}
#else
int zdt_madvise(struct kunit *test, unsigned long addr, size_t len,
		int advice)
{
	zdt_skip(test, ZDT_NO_MADVISE);
	return -EOPNOTSUPP;
}
#endif
EXPORT_SYMBOL_GPL(zdt_madvise);

#if ZDT_CAN_SCAN_NUMA
static void zdt_numa_mode_restore(void *mode)
{
	WRITE_ONCE(sysctl_numa_balancing_mode, (int)(uintptr_t)mode);
}

long zdt_numa_scan(struct kunit *test, unsigned long addr, unsigned long len)
{
	int mode = READ_ONCE(sysctl_numa_balancing_mode);
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	long nr = -1;

	/*
	 * NUMA balancing on, as a machine of several nodes boots: on one
	 * node the kernel leaves it off and the scanner skips every folio of
	 * the top tier (NUMA_BALANCING_NORMAL unset), device memory or not.
	 */
	if (!(mode & NUMA_BALANCING_NORMAL)) {
		KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, zdt_numa_mode_restore,
								(void *)(uintptr_t)mode), 0);
		WRITE_ONCE(sysctl_numa_balancing_mode, mode | NUMA_BALANCING_NORMAL);
	}
	mmget(mm);
	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (vma && addr + len <= vma->vm_end)
		nr = change_prot_numa(vma, addr, addr + len);
	mmap_read_unlock(mm);
	mmput(mm);
	KUNIT_ASSERT_GE_MSG(test, nr, 0, "no VMA holds [%#lx, %#lx)", addr, addr + len);
	return nr;
}
#else
long zdt_numa_scan(struct kunit *test, unsigned long addr, unsigned long len)
{
	zdt_skip(test, ZDT_NO_NUMA_SCAN);
	return -EOPNOTSUPP;
}
#endif
EXPORT_SYMBOL_GPL(zdt_numa_scan);

#if ZDT_KUNIT_EXPORTS || ZDT_FIXTURE_BUILT_IN
unsigned long zdt_mmap_pgoff(struct kunit *test, unsigned long len,
			     unsigned long prot, unsigned long flags)
{
	return ksys_mmap_pgoff(0, len, prot, flags, -1, 0);
}
#else
unsigned long zdt_mmap_pgoff(struct kunit *test, unsigned long len,
			     unsigned long prot, unsigned long flags)
{
	zdt_skip(test, ZDT_NO_MMAP_PGOFF);
	return -EOPNOTSUPP;
}
#endif
EXPORT_SYMBOL_GPL(zdt_mmap_pgoff);
