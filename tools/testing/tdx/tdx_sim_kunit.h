/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the KUnit suites that drive the simulated module:
 * update images, and the threads that play builders and updaters.
 */
#ifndef _TDX_SIM_KUNIT_H
#define _TDX_SIM_KUNIT_H

#include <kunit/test.h>
#include <asm/tdx_update.h>

#include "tdx_sim.h"

/**
 * struct tdx_kunit_image - an update image for tests
 * @data: the image
 * @size: its length
 */
struct tdx_kunit_image {
	u8 *data;
	size_t size;
};

int tdx_kunit_make_image(struct kunit *test, struct tdx_kunit_image *img,
			 u16 update, u32 crypto_lib_version);

/**
 * struct tdx_kunit_builder - a thread that takes a build hold
 * @hold: the hold it takes; anyone may end it afterwards
 * @nonblock: take it with O_NONBLOCK semantics
 * @ret: what tdx_build_begin() returned
 * @updates_seen: TDH.SYS.UPDATE calls the module had seen when
 *	tdx_build_begin() returned: the order of builds against updates
 * @begun: completed when tdx_build_begin() returned
 * @task: the thread; a reference is held until tdx_kunit_builder_put()
 *
 * The thread exits right after tdx_build_begin() returns, so a hold it
 * took outlives the task that took it, as a build hold outlives the
 * ioctl that took it.
 */
struct tdx_kunit_builder {
	struct tdx_build_hold hold;
	bool nonblock;
	int ret;
	unsigned long updates_seen;
	struct completion begun;
	struct task_struct *task;
};

int tdx_kunit_builder_start(struct tdx_kunit_builder *b, bool nonblock);
void tdx_kunit_builder_put(struct tdx_kunit_builder *b);

/**
 * struct tdx_kunit_updater - a thread that runs one update
 * @req: its request
 * @img: the image
 * @ret: what tdx_module_update() returned
 * @elapsed_ms: how long tdx_module_update() took
 * @done: completed when tdx_module_update() returned
 * @task: the thread; it allows SIGKILL, and may be gone once @done
 *	completed
 */
struct tdx_kunit_updater {
	struct tdx_update_request req;
	const struct tdx_kunit_image *img;
	int ret;
	unsigned int elapsed_ms;
	struct completion done;
	struct task_struct *task;
};

int tdx_kunit_updater_start(struct tdx_kunit_updater *u,
			    const struct tdx_kunit_image *img,
			    unsigned int timeout_ms, bool nonblock);
bool tdx_kunit_wait_state(enum tdx_update_state state, unsigned int ms);
bool tdx_kunit_wait_done(struct completion *done, unsigned int ms);
void tdx_kunit_report_debug_locks(void);

#endif /* _TDX_SIM_KUNIT_H */
