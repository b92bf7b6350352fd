/* op_table.h - the one list of ops: one ER_OP(<symbol>) row per op, sorted.
 * er_op_<symbol> is defined in src/ops/<symbol>.c, or in the family file
 * named in the comment. Expanded by registry.c; tests enumerate ops through
 * er_op_at(). */
ER_OP(add)   /* binary.c */
ER_OP(average_pool) /* pool.c */
ER_OP(batch_normalization)
ER_OP(conv)
ER_OP(conv_transpose)
ER_OP(div)   /* binary.c */
ER_OP(gemm)
ER_OP(global_average_pool) /* pool.c */
ER_OP(global_lp_pool) /* pool.c */
ER_OP(global_max_pool) /* pool.c */
ER_OP(hardmax) /* softmax.c */
ER_OP(instance_normalization)
ER_OP(layer_normalization)
ER_OP(log_softmax) /* softmax.c */
ER_OP(lp_pool) /* pool.c */
ER_OP(lrn)
ER_OP(matmul)
ER_OP(max)   /* binary.c */
ER_OP(max_pool) /* pool.c */
ER_OP(max_unpool)
ER_OP(mean)  /* binary.c */
ER_OP(mean_variance_normalization)
ER_OP(min)   /* binary.c */
ER_OP(mod)   /* binary.c */
ER_OP(mul)   /* binary.c */
ER_OP(pow)   /* binary.c */
ER_OP(resize)
ER_OP(softmax)
ER_OP(sub)   /* binary.c */
ER_OP(sum)   /* binary.c */
ER_OP(upsample) /* resize.c */
