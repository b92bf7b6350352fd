/* op_table.h - the one list of ops: one ER_OP(<symbol>) row per op, sorted.
 * er_op_<symbol> is defined in src/ops/<symbol>.c, or in the family file
 * named in the comment. Expanded by registry.c; tests enumerate ops through
 * er_op_at(). */
ER_OP(add)   /* binary.c */
ER_OP(arg_max)  /* argminmax.c */
ER_OP(arg_min)  /* argminmax.c */
ER_OP(blackman_window)  /* window.c */
ER_OP(cum_sum)  /* cumsum.c */
ER_OP(dequantize_linear)  /* quantize.c */
ER_OP(det)
ER_OP(div)   /* binary.c */
ER_OP(dynamic_quantize_linear)  /* quantize.c */
ER_OP(einsum)
ER_OP(hamming_window)  /* window.c */
ER_OP(hann_window)  /* window.c */
ER_OP(max)   /* binary.c */
ER_OP(mean)  /* binary.c */
ER_OP(min)   /* binary.c */
ER_OP(mod)   /* binary.c */
ER_OP(mul)   /* binary.c */
ER_OP(negative_log_likelihood_loss)  /* loss.c */
ER_OP(pow)   /* binary.c */
ER_OP(quantize_linear)  /* quantize.c */
ER_OP(reduce_l1)  /* reduce.c */
ER_OP(reduce_l2)  /* reduce.c */
ER_OP(reduce_log_sum)  /* reduce.c */
ER_OP(reduce_log_sum_exp)  /* reduce.c */
ER_OP(reduce_max)  /* reduce.c */
ER_OP(reduce_mean)  /* reduce.c */
ER_OP(reduce_min)  /* reduce.c */
ER_OP(reduce_prod)  /* reduce.c */
ER_OP(reduce_sum)  /* reduce.c */
ER_OP(reduce_sum_square)  /* reduce.c */
ER_OP(softmax_cross_entropy_loss)  /* loss.c */
ER_OP(sub)   /* binary.c */
ER_OP(sum)   /* binary.c */
ER_OP(top_k)  /* topk.c */
