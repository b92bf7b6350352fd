/* op_table.h - the one list of ops: one ER_OP(<symbol>) row per op, sorted.
 * er_op_<symbol> is defined in src/ops/<symbol>.c, or in the family file
 * named in the comment. Expanded by registry.c; tests enumerate ops through
 * er_op_at(). */
ER_OP(abs)   /* unary.c */
ER_OP(acos)  /* unary.c */
ER_OP(acosh) /* unary.c */
ER_OP(add)   /* binary.c */
ER_OP(and)   /* logical.c */
ER_OP(arg_max)  /* argminmax.c */
ER_OP(arg_min)  /* argminmax.c */
ER_OP(asin)  /* unary.c */
ER_OP(asinh) /* unary.c */
ER_OP(atan)  /* unary.c */
ER_OP(atanh) /* unary.c */
ER_OP(average_pool) /* pool.c */
ER_OP(average_pool_nhwc)       /* pool_nhwc.c: edgerun domain */
ER_OP(batch_normalization)
ER_OP(bit_shift) /* logical.c */
ER_OP(blackman_window)  /* window.c */
ER_OP(cast)
ER_OP(cast_like) /* cast.c */
ER_OP(ceil)  /* unary.c */
ER_OP(celu)  /* activation.c */
ER_OP(clip)
ER_OP(compress)
ER_OP(concat)
ER_OP(constant)
ER_OP(constant_of_shape)
ER_OP(conv)
ER_OP(conv_block_nhwc) /* conv_block_nhwc.c: edgerun domain */
ER_OP(conv_integer) /* conv_integer.c */
ER_OP(conv_nhwc)               /* conv_nhwc.c: edgerun domain */
ER_OP(conv_transpose)
ER_OP(cos)   /* unary.c */
ER_OP(cosh)  /* unary.c */
ER_OP(cum_sum)  /* cumsum.c */
ER_OP(dense)                   /* dense.c: edgerun domain */
ER_OP(depth_to_space)
ER_OP(dequantize_linear)  /* quantize.c */
ER_OP(det)
ER_OP(div)   /* binary.c */
ER_OP(dropout)
ER_OP(dynamic_quantize_linear)  /* quantize.c */
ER_OP(einsum)
ER_OP(elu)   /* activation.c */
ER_OP(equal) /* compare.c */
ER_OP(erf)   /* unary.c */
ER_OP(exp)   /* unary.c */
ER_OP(expand)
ER_OP(eye_like)
ER_OP(flatten)
ER_OP(floor) /* unary.c */
ER_OP(gather)
ER_OP(gather_elements)
ER_OP(gather_nd)
ER_OP(gelu)  /* activation.c */
ER_OP(gemm)
ER_OP(global_average_pool) /* pool.c */
ER_OP(global_average_pool_nhwc) /* pool_nhwc.c: edgerun domain */
ER_OP(global_lp_pool) /* pool.c */
ER_OP(global_max_pool) /* pool.c */
ER_OP(global_max_pool_nhwc)    /* pool_nhwc.c: edgerun domain */
ER_OP(greater) /* compare.c */
ER_OP(greater_or_equal) /* compare.c */
ER_OP(hamming_window)  /* window.c */
ER_OP(hann_window)  /* window.c */
ER_OP(hard_sigmoid) /* activation.c */
ER_OP(hard_swish) /* activation.c */
ER_OP(hardmax) /* softmax.c */
ER_OP(identity)
ER_OP(instance_normalization)
ER_OP(is_inf) /* unary.c */
ER_OP(is_nan) /* unary.c */
ER_OP(layer_normalization)
ER_OP(leaky_relu) /* activation.c */
ER_OP(less)  /* compare.c */
ER_OP(less_or_equal) /* compare.c */
ER_OP(log)   /* unary.c */
ER_OP(log_softmax) /* softmax.c */
ER_OP(lp_pool) /* pool.c */
ER_OP(lrn)
ER_OP(matmul)
ER_OP(matmul_integer) /* matmul_integer.c */
ER_OP(max)   /* binary.c */
ER_OP(max_pool) /* pool.c */
ER_OP(max_pool_nhwc)           /* pool_nhwc.c: edgerun domain */
ER_OP(max_unpool)
ER_OP(mean)  /* binary.c */
ER_OP(mean_variance_normalization)
ER_OP(min)   /* binary.c */
ER_OP(mod)   /* binary.c */
ER_OP(mul)   /* binary.c */
ER_OP(neg)   /* unary.c */
ER_OP(negative_log_likelihood_loss)  /* loss.c */
ER_OP(non_zero)
ER_OP(not)   /* unary.c */
ER_OP(one_hot)
ER_OP(or)    /* logical.c */
ER_OP(pad)
ER_OP(pow)   /* binary.c */
ER_OP(prelu)
ER_OP(qadd) /* qbinary.c, domain edgerun */
ER_OP(qaverage_pool) /* qpool.c, domain edgerun */
ER_OP(qaverage_pool_nhwc) /* qpool_nhwc.c, domain edgerun */
ER_OP(qconcat) /* domain edgerun */
ER_OP(qconv) /* conv_integer.c, domain edgerun */
ER_OP(qconv_nhwc) /* qconv_nhwc.c, domain edgerun */
ER_OP(qgemm) /* matmul_integer.c, domain edgerun */
ER_OP(qglobal_average_pool) /* qpool.c, domain edgerun */
ER_OP(qglobal_average_pool_nhwc) /* qpool_nhwc.c, domain edgerun */
ER_OP(qhard_swish) /* qunary.c, domain edgerun */
ER_OP(qleaky_relu) /* qunary.c, domain edgerun */
ER_OP(qlinear_conv) /* conv_integer.c */
ER_OP(qlinear_matmul) /* matmul_integer.c */
ER_OP(qmatmul) /* matmul_integer.c, domain edgerun */
ER_OP(qmax_pool) /* qpool.c, domain edgerun */
ER_OP(qmax_pool_nhwc) /* qpool_nhwc.c, domain edgerun */
ER_OP(qmul) /* qbinary.c, domain edgerun */
ER_OP(qresize) /* domain edgerun */
ER_OP(qsigmoid) /* qunary.c, domain edgerun */
ER_OP(qsoftmax) /* domain edgerun */
ER_OP(qtanh) /* qunary.c, domain edgerun */
ER_OP(quantize_linear)  /* quantize.c */
ER_OP(range)
ER_OP(reciprocal) /* unary.c */
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
ER_OP(reinterpret)             /* reinterpret.c: edgerun domain */
ER_OP(relu)  /* activation.c */
ER_OP(reshape)
ER_OP(resize)
ER_OP(reverse_sequence)
ER_OP(round) /* unary.c */
ER_OP(scatter)   /* scatter_elements.c */
ER_OP(scatter_elements)
ER_OP(scatter_nd)
ER_OP(selu)  /* activation.c */
ER_OP(shape)
ER_OP(shrink) /* activation.c */
ER_OP(sigmoid) /* activation.c */
ER_OP(sign)  /* unary.c */
ER_OP(sin)   /* unary.c */
ER_OP(sinh)  /* unary.c */
ER_OP(size)
ER_OP(slice)
ER_OP(softmax)
ER_OP(softmax_cross_entropy_loss)  /* loss.c */
ER_OP(softplus) /* activation.c */
ER_OP(softsign) /* activation.c */
ER_OP(space_to_depth)
ER_OP(split)
ER_OP(sqrt)  /* unary.c */
ER_OP(squeeze)
ER_OP(sub)   /* binary.c */
ER_OP(sum)   /* binary.c */
ER_OP(tan)   /* unary.c */
ER_OP(tanh)  /* activation.c */
ER_OP(thresholded_relu) /* activation.c */
ER_OP(tile)
ER_OP(top_k)  /* topk.c */
ER_OP(transpose)
ER_OP(trilu)
ER_OP(unsqueeze)
ER_OP(upsample) /* resize.c */
ER_OP(where)
ER_OP(xor)   /* logical.c */
