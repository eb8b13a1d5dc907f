/*
 * pipeline.h - the data path of a request, as hooks for net/.
 */
#ifndef SG_PIPELINE_H
#define SG_PIPELINE_H

#include "net.h"

/* The hooks that route, authorize and rewrite every request and response. */
const struct sg_net_hooks *sg_pipeline_hooks(void);

#endif
